package io.github.reliability4j.spring.messaging;

import static io.github.reliability4j.spring.messaging.KafkaIdempotentListenerTest.await;
import static io.github.reliability4j.spring.messaging.KafkaIdempotentListenerTest.count;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.spring.messaging.KafkaListenerFixture.Knobs;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.transaction.annotation.Transactional;

/**
 * {@code @IdempotentListener} on batch {@code @KafkaListener} methods ({@code
 * List<ConsumerRecord>}, {@code @Transactional}) against an embedded KRaft broker and the machine's
 * PostgreSQL 15: the one-statement claim of a whole poll, tried with duplicates inside a batch and
 * across batches, a mismatch inside a batch (that record dead-lettered with its reason, the rest
 * processed), a failing batch (no key recorded, the redelivery processes every record once), a
 * crash after the database commit and before the offset commit (redelivered, skipped), and two
 * consumers of one group with re-sent keys and forced rebalances (one row per key). The business
 * table has no unique constraint; a second listener without a transaction takes the claim path and
 * gives the same outcomes.
 */
class KafkaBatchListenerTest {

  private KafkaListenerFixture kafka;

  @AfterEach
  void tearDown() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private ApplicationContextRunner runner(int partitions, String... properties) {
    kafka =
        KafkaListenerFixture.onMachinePostgres(
            "kbatch", "k varchar(300), body text, consumer text", 8, partitions);
    return kafka.runner(App.class, properties);
  }

  /** Sends {@code records} while the listener is stopped, then starts it: one poll holds them. */
  private static void sendThenStart(
      KafkaListenerFixture kafka, MessageListenerContainer container, List<String[]> records) {
    kafka.sendAll(records);
    container.start();
  }

  @Test
  void duplicatesInsideABatchAndOfAnEarlierBatchAreSkipped() {
    runner(1, "test.autostart=false")
        .run(
            context -> {
              Knobs knobs = context.getBean(Knobs.class);
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              MessageListenerContainer a = KafkaListenerFixture.container(context, "batch-a");
              sendThenStart(
                  kafka,
                  a,
                  List.of(
                      new String[] {"a", "pay a"},
                      new String[] {"b", "pay b"},
                      new String[] {"a", "pay a"},
                      new String[] {"c", "pay c"},
                      new String[] {"a", "pay a"}));
              await(
                  () -> count(registry, "processed") == 3 && count(registry, "duplicate") == 2,
                  "one batch: 3 processed, 2 duplicates: "
                      + RabbitIdempotentListenerTest.describe(registry));
              assertThat(knobs.batches)
                  .as("the method got the batch's new records only, in delivery order")
                  .containsExactly(List.of("a", "b", "c"));
              kafka.sendAll(
                  List.of(
                      new String[] {"a", "pay a"},
                      new String[] {"d", "pay d"},
                      new String[] {"b", "pay b"}));
              await(
                  () -> count(registry, "processed") == 4 && count(registry, "duplicate") == 4,
                  "the duplicates of the earlier batch skipped: "
                      + RabbitIdempotentListenerTest.describe(registry));
              await(() -> kafka.committed() == 8, "every offset committed");
              assertThat(knobs.batches.get(knobs.batches.size() - 1)).containsExactly("d");
              assertThat(kafka.rows()).isEqualTo(4);
              assertThat(kafka.distinctKeys()).isEqualTo(4);
              assertThat(count(registry, "mismatched")).isZero();
            });
  }

  @Test
  void aMismatchInsideABatchIsDeadLetteredWithItsReasonAndTheRestProcessed() {
    runner(1, "test.autostart=false")
        .run(
            context -> {
              Knobs knobs = context.getBean(Knobs.class);
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              MessageListenerContainer a = KafkaListenerFixture.container(context, "batch-a");
              sendThenStart(
                  kafka,
                  a,
                  List.of(
                      new String[] {"m-a", "pay a"},
                      new String[] {"m-b", "pay b"},
                      new String[] {"m-b", "pay b, another amount"},
                      new String[] {"m-c", "pay c"}));
              Map<String, ConsumerRecord<String, String>> dead = new ConcurrentHashMap<>();
              try (KafkaConsumer<String, String> consumer =
                  KafkaIdempotentListenerTest.consumer("dlt-reader-" + kafka.suffix)) {
                consumer.subscribe(List.of(kafka.topic + "-dlt"));
                await(
                    () -> {
                      consumer.poll(Duration.ofMillis(200)).forEach(r -> dead.put(r.value(), r));
                      return !dead.isEmpty();
                    },
                    "a dead letter");
              }
              ConsumerRecord<String, String> record = dead.get("pay b, another amount");
              assertThat(record).as("dead letters: %s", dead.keySet()).isNotNull();
              Header message = record.headers().lastHeader("kafka_dlt-exception-message");
              assertThat(new String(message.value(), StandardCharsets.UTF_8)).contains("MISMATCH");
              await(() -> kafka.committed() == 4, "every offset committed");
              assertThat(dead).hasSize(1);
              assertThat(knobs.batches.get(0)).containsExactly("m-a", "m-b", "m-c");
              // m-c came after the dead letter: redelivered by the error handler, then skipped.
              assertThat(kafka.rows()).isEqualTo(3);
              assertThat(kafka.distinctKeys()).isEqualTo(3);
              assertThat(count(registry, "processed")).isEqualTo(3);
              assertThat(count(registry, "mismatched")).isEqualTo(1);
            });
  }

  @Test
  void aFailingBatchRecordsNoKeyAndItsRedeliveryProcessesEachRecordOnce() {
    runner(1, "test.autostart=false")
        .run(
            context -> {
              Knobs knobs = context.getBean(Knobs.class);
              knobs.failOnce.add("f-2");
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              MessageListenerContainer a = KafkaListenerFixture.container(context, "batch-a");
              sendThenStart(kafka, a, KafkaListenerFixture.amounts(List.of("f-1", "f-2", "f-3")));
              await(
                  () -> count(registry, "processed") == 3,
                  "processed after the failure: "
                      + RabbitIdempotentListenerTest.describe(registry));
              await(() -> kafka.committed() == 3, "every offset committed");
              assertThat(count(registry, "failed")).isEqualTo(3);
              assertThat(knobs.batches)
                  .containsExactly(List.of("f-1", "f-2", "f-3"), List.of("f-1", "f-2", "f-3"));
              assertThat(kafka.rows()).as("the failed batch's writes rolled back").isEqualTo(3);
              assertThat(kafka.distinctKeys()).isEqualTo(3);
            });
  }

  @Test
  void aCrashAfterTheCommitBeforeTheOffsetCommitHasOneEffect() {
    runner(1, "test.autostart=false")
        .run(
            context -> {
              Knobs knobs = context.getBean(Knobs.class);
              knobs.failAfterCommit.add("crash-2");
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              MessageListenerContainer a = KafkaListenerFixture.container(context, "batch-a");
              sendThenStart(
                  kafka, a, KafkaListenerFixture.amounts(List.of("crash-1", "crash-2", "crash-3")));
              await(
                  () -> count(registry, "duplicate") == 3,
                  "the redelivered batch skipped: "
                      + RabbitIdempotentListenerTest.describe(registry));
              await(() -> kafka.committed() == 3, "every offset committed");
              assertThat(knobs.batches).hasSize(1);
              assertThat(count(registry, "processed")).isEqualTo(3);
              assertThat(kafka.rows()).isEqualTo(3);
            });
  }

  @Test
  void twoBatchConsumersWithResentKeysAndRebalancesLeaveOneRowPerKey() {
    int distinct = 3_000;
    int duplicates = 1_000;
    List<String> keys = KafkaListenerFixture.keysWithResends(distinct, duplicates, 11);
    runner(0, "test.second=true")
        .run(
            context -> {
              kafka.sendWithRebalancesAndAssertOneRowPerKey(
                  context, "batch-b", keys, distinct, duplicates);
              assertThat(
                      context.getBean(Knobs.class).batches.stream()
                          .mapToInt(List::size)
                          .max()
                          .orElse(0))
                  .as("records arrived in batches")
                  .isGreaterThan(1);
            });
  }

  /**
   * Without a transaction (what MariaDB and the other databases without the batch statement get
   * too): every key is claimed through the engine and completed after the method; same outcomes.
   */
  @Test
  void withoutATransactionEveryKeyIsClaimedWithTheSameOutcomes() {
    runner(1, "test.autostart=false")
        .run(
            context -> {
              Knobs knobs = context.getBean(Knobs.class);
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              MessageListenerContainer plain =
                  KafkaListenerFixture.container(context, "batch-plain");
              sendThenStart(
                  kafka,
                  plain,
                  List.of(
                      new String[] {"p-a", "pay a"},
                      new String[] {"p-a", "pay a"},
                      new String[] {"p-b", "pay b"}));
              await(
                  () -> count(registry, "processed") == 2 && count(registry, "duplicate") == 1,
                  "2 processed, 1 duplicate: " + RabbitIdempotentListenerTest.describe(registry));
              kafka.send("p-b", "pay b");
              await(() -> count(registry, "duplicate") == 2, "the re-send skipped");
              await(() -> kafka.committed(kafka.group + "-plain") == 4, "every offset committed");
              assertThat(knobs.batches.get(0)).containsExactly("p-a", "p-b");
              assertThat(kafka.rows()).isEqualTo(2);
            });
  }

  @Configuration(proxyBeanMethods = false)
  @Import(KafkaListenerFixture.ListenerApp.class)
  static class App {

    @Bean
    Ledger ledger(DataSource dataSource, @Value("${test.table}") String table, Knobs knobs) {
      return new Ledger(new JdbcTemplate(dataSource), table, knobs);
    }
  }

  /** Batch listeners inserting one row per record they receive. */
  static class Ledger extends KafkaListenerFixture.Ledger {

    Ledger(JdbcTemplate jdbc, String table, Knobs knobs) {
      super(jdbc, table, knobs);
    }

    @KafkaListener(
        id = "batch-a",
        topics = "${test.topic}",
        groupId = "${test.group}",
        batch = "true",
        autoStartup = "${test.autostart:true}")
    @IdempotentListener(operation = "apply-payment", name = "apply-payment")
    @Transactional
    public void a(List<ConsumerRecord<String, String>> records) {
      apply(records, "a");
    }

    @KafkaListener(
        id = "batch-b",
        topics = "${test.topic}",
        groupId = "${test.group}",
        batch = "true",
        autoStartup = "${test.second:false}")
    @IdempotentListener(operation = "apply-payment", name = "apply-payment")
    @Transactional
    public void b(List<ConsumerRecord<String, String>> records) {
      apply(records, "b");
    }

    @KafkaListener(
        id = "batch-plain",
        topics = "${test.topic}",
        groupId = "${test.group}-plain",
        batch = "true",
        autoStartup = "false")
    @IdempotentListener(operation = "apply-payment-plain", name = "apply-payment")
    public void plain(List<ConsumerRecord<String, String>> records) {
      apply(records, "plain");
    }

    private void apply(List<ConsumerRecord<String, String>> records, String consumer) {
      knobs.invocations.incrementAndGet();
      List<String> keys = new ArrayList<>();
      boolean fail = false;
      boolean crash = false;
      for (ConsumerRecord<String, String> record : records) {
        String key = insert(record, consumer);
        keys.add(key);
        fail |= knobs.failOnce.remove(key);
        crash |= knobs.failAfterCommit.remove(key);
      }
      knobs.batches.add(List.copyOf(keys));
      if (fail) {
        throw new IllegalStateException("batch failed after its writes");
      }
      if (crash) {
        crashAfterCommit();
      }
    }
  }
}
