package io.github.reliability4j.spring.messaging;

import static io.github.reliability4j.spring.messaging.KafkaIdempotentListenerTest.await;
import static io.github.reliability4j.spring.messaging.KafkaIdempotentListenerTest.count;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.spring.idempotency.IdempotencyAutoConfiguration;
import io.github.reliability4j.test.services.Services;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.kafka.annotation.EnableKafka;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.util.backoff.FixedBackOff;

/**
 * What every {@code @IdempotentListener}-on-{@code @KafkaListener} test sets up, once: names unique
 * to the test (topic and its {@code -dlt}, consumer group, business table, keys table), the
 * business table, the application context runner with the idempotency and messaging
 * auto-configurations and the {@code test.*} properties the listener apps read, records sent with
 * an {@code Idempotency-Key} header, the group's committed offsets, the clean-up, and the listener
 * apps' common part ({@link ListenerApp}, {@link Knobs}, the {@link Ledger} base). The broker is
 * {@link TestKafka}'s; the database is the machine's PostgreSQL or one the test brings.
 */
final class KafkaListenerFixture implements AutoCloseable {

  final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  final String topic;
  final String group;
  final String table;
  final String keysTable;
  private final DataSource dataSource;
  private final HikariDataSource owned;

  private KafkaListenerFixture(
      String prefix,
      DataSource dataSource,
      HikariDataSource owned,
      String columns,
      int partitions) {
    this.topic = "r4j-" + prefix + "-" + suffix;
    this.group = prefix + "-" + suffix;
    this.table = "r4j_" + prefix + "_" + suffix;
    this.keysTable = "r4j_" + prefix + "_keys_" + suffix;
    this.dataSource = dataSource;
    this.owned = owned;
    if (partitions > 0) {
      TestKafka.broker().addTopics(new NewTopic(topic, partitions, (short) 1));
      TestKafka.broker().addTopics(topic + "-dlt");
    } else {
      TestKafka.broker().addTopics(topic, topic + "-dlt");
    }
    jdbc().execute("create table " + table + " (" + columns + ")");
  }

  /**
   * A fixture on the machine's PostgreSQL (a pool of {@code poolSize}), with a business table of
   * {@code columns}, on a topic of the broker's default partition count ({@code partitions} 0) or
   * of {@code partitions}.
   */
  static KafkaListenerFixture onMachinePostgres(
      String prefix, String columns, int poolSize, int partitions) {
    HikariDataSource ds = new HikariDataSource();
    ds.setJdbcUrl(Services.postgresJdbcUrl());
    ds.setMaximumPoolSize(poolSize);
    return new KafkaListenerFixture(prefix, ds, ds, columns, partitions);
  }

  /** A fixture on a database the test owns (it closes it); the tables are dropped by the test. */
  static KafkaListenerFixture on(DataSource dataSource, String prefix, String columns) {
    return new KafkaListenerFixture(prefix, dataSource, null, columns, 0);
  }

  DataSource dataSource() {
    return dataSource;
  }

  JdbcTemplate jdbc() {
    return new JdbcTemplate(dataSource);
  }

  /**
   * The runner for {@code app}: the idempotency and messaging auto-configurations, the fixture's
   * database as the only DataSource bean, the properties {@code test.topic}, {@code test.table},
   * {@code test.brokers}, {@code test.group}, the keys table created at start, and {@code
   * properties}.
   */
  ApplicationContextRunner runner(Class<?> app, String... properties) {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                IdempotencyAutoConfiguration.class, MessagingAutoConfiguration.class))
        .withUserConfiguration(app)
        .withBean(DataSource.class, () -> new DelegatingDataSource(dataSource))
        .withPropertyValues(
            "test.topic=" + topic,
            "test.table=" + table,
            "test.brokers=" + TestKafka.broker().getBrokersAsString(),
            "test.group=" + group,
            "reliability.idempotency.jdbc.table-name=" + keysTable,
            "reliability.idempotency.jdbc.initialize-schema=true")
        .withPropertyValues(properties);
  }

  /** One record with {@code key} as its {@code Idempotency-Key} header, value {@code body}. */
  void send(String key, String body) {
    sendAll(List.<String[]>of(new String[] {key, body}));
  }

  /**
   * Records as {key, body} pairs, in order, each with a random record key (so re-sends of one key
   * land on any partition) and the key as its {@code Idempotency-Key} header; flushed.
   */
  void sendAll(List<String[]> keysAndBodies) {
    try (KafkaProducer<String, String> producer = KafkaIdempotentListenerTest.producer()) {
      for (String[] kb : keysAndBodies) {
        ProducerRecord<String, String> record =
            new ProducerRecord<>(topic, UUID.randomUUID().toString(), kb[1]);
        record.headers().add("Idempotency-Key", kb[0].getBytes(StandardCharsets.UTF_8));
        producer.send(record);
      }
      producer.flush();
    }
  }

  /** {key, "amount of " + key} for each key. */
  static List<String[]> amounts(List<String> keys) {
    List<String[]> records = new ArrayList<>();
    for (String key : keys) {
      records.add(new String[] {key, "amount of " + key});
    }
    return records;
  }

  /**
   * {@code distinct} new keys ({@code pay-<i>}) and {@code resent} re-sends of random ones (a
   * producer's retries), shuffled; seeded, so every run sends the same stream.
   */
  static List<String> keysWithResends(int distinct, int resent, long seed) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < distinct; i++) {
      keys.add("pay-" + i);
    }
    Random random = new Random(seed);
    for (int i = 0; i < resent; i++) {
      keys.add("pay-" + random.nextInt(distinct));
    }
    Collections.shuffle(keys, random);
    return keys;
  }

  /**
   * The rebalance test both listener kinds share: sends {@code keys} (a random record key each, so
   * re-sends of one key land on any partition and can reach both consumers at once), stops the
   * container {@code second} after a quarter of the distinct keys were processed, starts it again
   * after a half, stops and starts it after three quarters (each a rebalance that replays
   * uncommitted offsets), waits until every distinct key was processed and every re-send skipped,
   * stops the listeners; then the business table (column {@code consumer} naming who wrote a row)
   * has exactly one row per key, written by both consumers, and nothing was a mismatch.
   */
  void sendWithRebalancesAndAssertOneRowPerKey(
      ApplicationContext context, String second, List<String> keys, int distinct, int resent) {
    MeterRegistry registry = context.getBean(MeterRegistry.class);
    KafkaListenerEndpointRegistry listeners = context.getBean(KafkaListenerEndpointRegistry.class);
    sendAll(amounts(keys));
    MessageListenerContainer container = listeners.getListenerContainer(second);
    awaitProcessed(registry, distinct / 4);
    container.stop();
    awaitProcessed(registry, distinct / 2);
    container.start();
    awaitProcessed(registry, distinct * 3 / 4);
    container.stop();
    container.start();
    await(
        () -> count(registry, "processed") == distinct && count(registry, "duplicate") >= resent,
        "all records handled: " + RabbitIdempotentListenerTest.describe(registry));
    listeners.stop();
    assertThat(rows()).isEqualTo(distinct);
    assertThat(distinctKeys()).isEqualTo(distinct);
    assertThat(
            jdbc().queryForObject("select count(distinct consumer) from " + table, Integer.class))
        .as("both consumers did work")
        .isEqualTo(2);
    assertThat(count(registry, "processed")).isEqualTo(distinct);
    assertThat(count(registry, "duplicate")).isGreaterThanOrEqualTo(resent);
    assertThat(count(registry, "mismatched")).isZero();
  }

  private static void awaitProcessed(MeterRegistry registry, int processed) {
    await(() -> count(registry, "processed") >= processed, processed + " processed");
  }

  /** Rows in the business table. */
  int rows() {
    return jdbc().queryForObject("select count(*) from " + table, Integer.class);
  }

  /** Distinct values of column {@code k} in the business table. */
  int distinctKeys() {
    return jdbc().queryForObject("select count(distinct k) from " + table, Integer.class);
  }

  /** Sum of the group's committed offsets over the topic's partitions. */
  long committed() {
    return committed(group);
  }

  /** Sum of {@code consumerGroup}'s committed offsets over the topic's partitions. */
  long committed(String consumerGroup) {
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                TestKafka.broker().getBrokersAsString()))) {
      Map<?, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(consumerGroup).partitionsToOffsetAndMetadata().get();
      return offsets.values().stream()
          .filter(o -> o != null)
          .mapToLong(OffsetAndMetadata::offset)
          .sum();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (ExecutionException e) {
      throw new AssertionError(e);
    }
  }

  /** Drops both tables; closes the pool if the fixture made it. */
  @Override
  public void close() {
    JdbcTemplate jdbc = jdbc();
    jdbc.execute("drop table if exists " + table);
    jdbc.execute("drop table if exists " + keysTable);
    if (owned != null) {
      owned.close();
    }
  }

  /**
   * A {@code DefaultErrorHandler} that retries transient failures (in-flight conflicts, store
   * outages) 20 times 50 ms apart and sends what the auto-configuration marks as not retryable to
   * {@code <topic>-dlt} at once, and the String listener container factory ({@code
   * max.poll.records} 200) that uses it.
   */
  @Configuration(proxyBeanMethods = false)
  static class DeadLetterBeans {

    @Bean
    KafkaTemplate<String, String> kafkaTemplate(@Value("${test.brokers}") String brokers) {
      return TestKafka.template(brokers);
    }

    @Bean
    DefaultErrorHandler errorHandler(KafkaTemplate<String, String> template) {
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
  }

  /** The listener container {@code id} of {@code context}'s {@code @KafkaListener} endpoints. */
  static MessageListenerContainer container(ApplicationContext context, String id) {
    return context.getBean(KafkaListenerEndpointRegistry.class).getListenerContainer(id);
  }

  /** Test controls and observations; separate from the ledger because that bean is a proxy. */
  static class Knobs {
    /** The keys of each list a batch listener received, in order. */
    final List<List<String>> batches = new CopyOnWriteArrayList<>();

    /** Keys whose (batch) method fails once, after its writes. */
    final Set<String> failOnce = ConcurrentHashMap.newKeySet();

    /** Keys whose consumer crashes once after the database commit, before the offset commit. */
    final Set<String> failAfterCommit = ConcurrentHashMap.newKeySet();

    final AtomicInteger invocations = new AtomicInteger();
  }

  /**
   * The listener app's common part: Kafka listeners, transactions, {@link CommonBeans}, {@link
   * DeadLetterBeans} and a {@link Knobs} bean; a test adds its {@link Ledger} bean.
   */
  @Configuration(proxyBeanMethods = false)
  @EnableKafka
  @EnableTransactionManagement
  @Import({CommonBeans.class, DeadLetterBeans.class})
  static class ListenerApp {

    @Bean
    Knobs knobs() {
      return new Knobs();
    }
  }

  /** Listeners inserting one row per record into the business table {@code (k, body, consumer)}. */
  abstract static class Ledger {
    private final JdbcTemplate jdbc;
    private final String table;
    final Knobs knobs;

    Ledger(JdbcTemplate jdbc, String table, Knobs knobs) {
      this.jdbc = jdbc;
      this.table = table;
      this.knobs = knobs;
    }

    /** Inserts {@code record}'s row written by {@code consumer}; returns its key. */
    String insert(ConsumerRecord<String, String> record, String consumer) {
      String key =
          new String(
              record.headers().lastHeader("Idempotency-Key").value(), StandardCharsets.UTF_8);
      jdbc.update(
          "insert into " + table + " (k, body, consumer) values (?, ?, ?)",
          key,
          record.value(),
          consumer);
      return key;
    }

    /** The database commits; the consumer then dies before its offsets are committed. */
    static void crashAfterCommit() {
      TransactionSynchronizationManager.registerSynchronization(
          new TransactionSynchronization() {
            @Override
            public void afterCommit() {
              throw new IllegalStateException("consumer crashed after the commit");
            }
          });
    }
  }

  /** The beans every listener app has: a simple meter registry and the JDBC transaction manager. */
  @Configuration(proxyBeanMethods = false)
  static class CommonBeans {

    @Bean
    MeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }

    @Bean
    PlatformTransactionManager transactionManager(DataSource dataSource) {
      return new DataSourceTransactionManager(dataSource);
    }
  }
}
