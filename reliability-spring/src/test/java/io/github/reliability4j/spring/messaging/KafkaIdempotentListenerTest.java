package io.github.reliability4j.spring.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.spring.messaging.KafkaListenerFixture.Knobs;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.transaction.annotation.Transactional;

/**
 * {@code @IdempotentListener} on {@code @KafkaListener} methods against an embedded KRaft broker
 * and the machine's PostgreSQL 15: two consumers in one group, 10,000 records of which 25% re-send
 * a key, a consumer stopped and restarted twice mid-stream (rebalances); the crash window between
 * the database commit and the offset commit; a mismatch published to the dead-letter topic with its
 * reason. The business table has no unique constraint.
 */
class KafkaIdempotentListenerTest {

  private KafkaListenerFixture kafka;

  @BeforeEach
  void setUp() {
    kafka =
        KafkaListenerFixture.onMachinePostgres(
            "kpay", "k varchar(300), body text, consumer text", 8, 0);
  }

  @AfterEach
  void tearDown() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private ApplicationContextRunner runner() {
    return kafka.runner(App.class);
  }

  @Test
  void tenThousandRecordsWithDuplicatesAndRebalancesLeaveOneRowPerKey() {
    int distinct = 7_500;
    int duplicates = 2_500;
    List<String> keys = KafkaListenerFixture.keysWithResends(distinct, duplicates, 7);
    runner()
        .run(
            context ->
                kafka.sendWithRebalancesAndAssertOneRowPerKey(
                    context, "ledger-b", keys, distinct, duplicates));
  }

  @Test
  void crashAfterCommitBeforeOffsetCommitHasOneEffect() {
    runner()
        .run(
            context -> {
              Knobs knobs = context.getBean(Knobs.class);
              knobs.failAfterCommit.add("crash-1");
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              kafka.send("crash-1", "once");
              await(() -> count(registry, "duplicate") == 1, "the redelivery skipped");
              assertThat(knobs.invocations.get()).isEqualTo(1);
              assertThat(kafka.rows()).isEqualTo(1);
            });
  }

  @Test
  void mismatchGoesToTheDeadLetterTopicAtOnceWithItsReason() {
    runner()
        .run(
            context -> {
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              kafka.send("m-1", "first");
              await(() -> count(registry, "processed") == 1, "first processed");
              kafka.send("m-1", "second");
              try (KafkaConsumer<String, String> consumer =
                  consumer("dlt-reader-" + kafka.suffix)) {
                consumer.subscribe(List.of(kafka.topic + "-dlt"));
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

  /**
   * Polls until {@code condition}; the deadline is generous: 10,000 records took ~100 s at load 20.
   */
  static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
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

  @Configuration(proxyBeanMethods = false)
  @Import(KafkaListenerFixture.ListenerApp.class)
  static class App {

    @Bean
    Ledger ledger(DataSource dataSource, @Value("${test.table}") String table, Knobs knobs) {
      return new Ledger(new JdbcTemplate(dataSource), table, knobs);
    }
  }

  /** Two consumer instances of one group, each inserting one row per processed record. */
  static class Ledger extends KafkaListenerFixture.Ledger {

    Ledger(JdbcTemplate jdbc, String table, Knobs knobs) {
      super(jdbc, table, knobs);
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
      if (knobs.failAfterCommit.remove(insert(record, consumer))) {
        crashAfterCommit();
      }
    }
  }
}
