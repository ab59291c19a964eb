package io.github.reliability4j.spring.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.spring.idempotency.IdempotencyAutoConfiguration;
import io.github.reliability4j.test.services.Services;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.kafka.annotation.EnableKafka;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.util.backoff.FixedBackOff;

/**
 * {@code @IdempotentListener} on {@code @KafkaListener} methods against an embedded KRaft broker
 * and the machine's PostgreSQL 15: two consumers in one group, 10,000 records of which 25% re-send
 * a key, a consumer stopped and restarted twice mid-stream (rebalances); the crash window between
 * the database commit and the offset commit; a mismatch published to the dead-letter topic with its
 * reason. The business table has no unique constraint.
 */
class KafkaIdempotentListenerTest {

  static EmbeddedKafkaKraftBroker broker;

  private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final String topic = "r4j-pay-" + suffix;
  private final String table = "r4j_kpay_" + suffix;
  private final String keysTable = "r4j_kkeys_" + suffix;
  private HikariDataSource dataSource;

  @BeforeAll
  static void startBroker() {
    broker = TestKafka.broker();
  }

  @BeforeEach
  void setUp() {
    String url = Services.postgresJdbcUrl();
    broker.addTopics(topic, topic + "-dlt");
    dataSource = new HikariDataSource();
    dataSource.setJdbcUrl(url);
    dataSource.setMaximumPoolSize(8);
    new JdbcTemplate(dataSource)
        .execute("create table " + table + " (k varchar(300), body text, consumer text)");
  }

  @AfterEach
  void tearDown() {
    if (dataSource != null) {
      JdbcTemplate jdbc = new JdbcTemplate(dataSource);
      jdbc.execute("drop table if exists " + table);
      jdbc.execute("drop table if exists " + keysTable);
      dataSource.close();
    }
  }

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                IdempotencyAutoConfiguration.class, MessagingAutoConfiguration.class))
        .withUserConfiguration(App.class)
        .withBean(DataSource.class, () -> new DelegatingDataSource(dataSource))
        .withPropertyValues(
            "test.topic=" + topic,
            "test.table=" + table,
            "test.brokers=" + broker.getBrokersAsString(),
            "test.group=ledger-" + suffix,
            "reliability.idempotency.jdbc.table-name=" + keysTable,
            "reliability.idempotency.jdbc.initialize-schema=true");
  }

  @Test
  void tenThousandRecordsWithDuplicatesAndRebalancesLeaveOneRowPerKey() {
    int distinct = 7_500;
    int duplicates = 2_500;
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < distinct; i++) {
      keys.add("pay-" + i);
    }
    Random random = new Random(7);
    for (int i = 0; i < duplicates; i++) {
      keys.add("pay-" + random.nextInt(distinct));
    }
    Collections.shuffle(keys, random);
    runner()
        .run(
            context -> {
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              KafkaListenerEndpointRegistry listeners =
                  context.getBean(KafkaListenerEndpointRegistry.class);
              try (KafkaProducer<String, String> producer = producer()) {
                for (String key : keys) {
                  // A random record key: re-sends of one payment land on any partition, so they
                  // can reach both consumers at once.
                  ProducerRecord<String, String> record =
                      new ProducerRecord<>(topic, UUID.randomUUID().toString(), "amount " + key);
                  record.headers().add("Idempotency-Key", key.getBytes(StandardCharsets.UTF_8));
                  producer.send(record);
                }
                producer.flush();
              }
              MessageListenerContainer second = listeners.getListenerContainer("ledger-b");
              await(() -> count(registry, "processed") >= 2_000, "2000 processed");
              second.stop();
              await(() -> count(registry, "processed") >= 4_000, "4000 processed");
              second.start();
              await(() -> count(registry, "processed") >= 6_000, "6000 processed");
              second.stop();
              second.start();
              await(
                  () ->
                      count(registry, "processed") == distinct
                          && count(registry, "duplicate") >= duplicates,
                  "all records handled: " + RabbitIdempotentListenerTest.describe(registry));
              listeners.stop();
              JdbcTemplate jdbc = new JdbcTemplate(dataSource);
              assertThat(jdbc.queryForObject("select count(*) from " + table, Integer.class))
                  .isEqualTo(distinct);
              assertThat(
                      jdbc.queryForObject("select count(distinct k) from " + table, Integer.class))
                  .isEqualTo(distinct);
              assertThat(
                      jdbc.queryForObject(
                          "select count(distinct consumer) from " + table, Integer.class))
                  .as("both consumers did work")
                  .isEqualTo(2);
              assertThat(count(registry, "processed")).isEqualTo(distinct);
              assertThat(count(registry, "duplicate")).isGreaterThanOrEqualTo(duplicates);
              assertThat(count(registry, "mismatched")).isZero();
            });
  }

  @Test
  void crashAfterCommitBeforeOffsetCommitHasOneEffect() {
    runner()
        .run(
            context -> {
              Knobs knobs = context.getBean(Knobs.class);
              knobs.failAfterCommit.add("crash-1");
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              send("crash-1", "once");
              await(() -> count(registry, "duplicate") == 1, "the redelivery skipped");
              assertThat(knobs.invocations.get()).isEqualTo(1);
              assertThat(
                      new JdbcTemplate(dataSource)
                          .queryForObject("select count(*) from " + table, Integer.class))
                  .isEqualTo(1);
            });
  }

  @Test
  void mismatchGoesToTheDeadLetterTopicAtOnceWithItsReason() {
    runner()
        .run(
            context -> {
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              send("m-1", "first");
              await(() -> count(registry, "processed") == 1, "first processed");
              send("m-1", "second");
              try (KafkaConsumer<String, String> consumer = consumer("dlt-reader-" + suffix)) {
                consumer.subscribe(List.of(topic + "-dlt"));
                Map<String, ConsumerRecord<String, String>> dead = new ConcurrentHashMap<>();
                await(
                    () -> {
                      ConsumerRecords<String, String> records =
                          consumer.poll(Duration.ofMillis(200));
                      records.forEach(r -> dead.put(r.value(), r));
                      return !dead.isEmpty();
                    },
                    "a dead letter");
                ConsumerRecord<String, String> record = dead.get("second");
                assertThat(record).isNotNull();
                Header message = record.headers().lastHeader("kafka_dlt-exception-message");
                assertThat(new String(message.value(), StandardCharsets.UTF_8))
                    .contains("MISMATCH");
              }
              assertThat(context.getBean(Knobs.class).invocations.get())
                  .as("no retry of the mismatch")
                  .isEqualTo(1);
              assertThat(count(registry, "mismatched")).isEqualTo(1);
            });
  }

  private void send(String key, String body) {
    try (KafkaProducer<String, String> producer = producer()) {
      ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, body);
      record.headers().add("Idempotency-Key", key.getBytes(StandardCharsets.UTF_8));
      producer.send(record);
      producer.flush();
    }
  }

  static KafkaProducer<String, String> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.broker().getBrokersAsString());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  static KafkaConsumer<String, String> consumer(String group) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.broker().getBrokersAsString());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  static double count(MeterRegistry registry, String outcome) {
    return RabbitIdempotentListenerTest.count(registry, outcome);
  }

  static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Timed out waiting for: " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** Test controls and observations; separate because the listener bean is a proxy. */
  static class Knobs {
    final AtomicInteger invocations = new AtomicInteger();
    final Set<String> failAfterCommit = ConcurrentHashMap.newKeySet();
  }

  @Configuration(proxyBeanMethods = false)
  @EnableKafka
  @EnableTransactionManagement
  static class App {

    @Bean
    MeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }

    @Bean
    Knobs knobs() {
      return new Knobs();
    }

    @Bean
    PlatformTransactionManager transactionManager(DataSource dataSource) {
      return new DataSourceTransactionManager(dataSource);
    }

    @Bean
    KafkaTemplate<String, String> kafkaTemplate(@Value("${test.brokers}") String brokers) {
      return TestKafka.template(brokers);
    }

    @Bean
    DefaultErrorHandler errorHandler(KafkaTemplate<String, String> template) {
      // Retries transient failures (in-flight conflicts, store outages) a few times; records the
      // auto-configuration marks as not retryable go to <topic>-dlt at once.
      return new DefaultErrorHandler(
          new DeadLetterPublishingRecoverer(template), new FixedBackOff(50, 20));
    }

    @Bean
    ConcurrentKafkaListenerContainerFactory<String, String> kafkaListenerContainerFactory(
        @Value("${test.brokers}") String brokers, DefaultErrorHandler errorHandler) {
      return TestKafka.listenerFactory(
          brokers,
          new StringDeserializer(),
          Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200),
          errorHandler);
    }

    @Bean
    Ledger ledger(DataSource dataSource, @Value("${test.table}") String table, Knobs knobs) {
      return new Ledger(new JdbcTemplate(dataSource), table, knobs);
    }
  }

  /** Two consumer instances of one group, each inserting one row per processed record. */
  static class Ledger {
    private final JdbcTemplate jdbc;
    private final String table;
    private final Knobs knobs;

    Ledger(JdbcTemplate jdbc, String table, Knobs knobs) {
      this.jdbc = jdbc;
      this.table = table;
      this.knobs = knobs;
    }

    @KafkaListener(id = "ledger-a", topics = "${test.topic}", groupId = "${test.group}")
    @IdempotentListener(operation = "apply-payment", name = "apply-payment")
    @Transactional
    public void a(ConsumerRecord<String, String> record) {
      apply(record, "a");
    }

    @KafkaListener(id = "ledger-b", topics = "${test.topic}", groupId = "${test.group}")
    @IdempotentListener(operation = "apply-payment", name = "apply-payment")
    @Transactional
    public void b(ConsumerRecord<String, String> record) {
      apply(record, "b");
    }

    private void apply(ConsumerRecord<String, String> record, String consumer) {
      knobs.invocations.incrementAndGet();
      Header header = record.headers().lastHeader("Idempotency-Key");
      String key = new String(header.value(), StandardCharsets.UTF_8);
      jdbc.update(
          "insert into " + table + " (k, body, consumer) values (?, ?, ?)",
          key,
          record.value(),
          consumer);
      if (knobs.failAfterCommit.remove(key)) {
        TransactionSynchronizationManager.registerSynchronization(
            new TransactionSynchronization() {
              @Override
              public void afterCommit() {
                // The database committed; the consumer dies before its offset is committed.
                throw new IllegalStateException("consumer crashed after the commit");
              }
            });
      }
    }
  }
}
