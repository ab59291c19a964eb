package io.github.reliability4j.benchmarks.messaging;

import io.github.reliability4j.benchmarks.support.BenchDatabase;
import io.github.reliability4j.benchmarks.support.RoundTripCounter;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;
import io.github.reliability4j.jdbc.idempotency.TransactionalIdempotentConsumer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Harness (not JMH: one measurement is a whole topic drained by a consumer) comparing a Kafka
 * consumer whose per-record handler inserts one business row in a JDBC transaction (the bare
 * baseline) with the same consumer deduplicating through {@link TransactionalIdempotentConsumer}:
 * the key is inserted as completed in the business transaction (one statement on PostgreSQL), then
 * the business insert, then the commit; what {@code @IdempotentListener} does on a
 * {@code @Transactional} listener. Two more listeners handle each poll in one transaction: the bare
 * batch (the poll's inserts, one commit) and {@link TransactionalIdempotentConsumer#processBatch}
 * (one statement claims the poll's keys, then the inserts, one commit): what a batch
 * {@code @KafkaListener} with {@code @IdempotentListener} and {@code @Transactional} does.
 *
 * <p>Every record carries a new key, the expensive path (a duplicate costs the failed insert, a
 * rollback and the engine's claim: three round trips and no business write). Broker: embedded KRaft
 * in this JVM, topic of 2 partitions, filled once; each measurement drains it with a fresh consumer
 * group ({@code max.poll.records=500}, offsets committed after each batch) on one thread. Database:
 * the embedded PostgreSQL of the benchmarks ({@code fsync=off}), through a HikariCP pool over a
 * round-trip counter. Each round runs the four listeners in turn; ratios are of the medians.
 *
 * <pre>{@code
 * ./mvnw -B -q -pl benchmarks -am -DskipTests package
 * java -cp benchmarks/target/benchmarks.jar \
 *     io.github.reliability4j.benchmarks.messaging.KafkaListenerHarness [records] [rounds]
 * }</pre>
 */
public final class KafkaListenerHarness {

  private KafkaListenerHarness() {}

  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    String topic = "bench-payments";
    EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 2, topic);
    broker.afterPropertiesSet();
    try (BenchDatabase db = BenchDatabase.open()) {
      produce(broker.getBrokersAsString(), topic, records);
      RoundTripCounter counter = new RoundTripCounter();
      DataSource pool =
          BenchDatabase.pool("messaging", counter.wrap(BenchDatabase.plain(db.primaryUrl())), 4);
      db.execute("drop table if exists bench_msg_payments");
      db.execute("create table bench_msg_payments (k text, body text)");
      JdbcIdempotencyStore store =
          JdbcIdempotencyStore.create(
              pool,
              JdbcIdempotencyStoreConfig.custom()
                  .tableName("bench_msg_keys")
                  .initializeSchema(true)
                  .build());
      Idempotency idempotency = Idempotency.of(store);
      TransactionalIdempotentConsumer<ConsumerRecord<String, String>> inbox =
          TransactionalIdempotentConsumer.<ConsumerRecord<String, String>>builder(
                  idempotency,
                  pool,
                  "bench-group",
                  "apply-payment",
                  KafkaListenerHarness::key,
                  r -> RequestFingerprint.sha256(r.value()),
                  (r, c) -> insert(c, r))
              .build();
      Map<Mode, List<Double>> rates = new EnumMap<>(Mode.class);
      Map<Mode, Double> trips = new EnumMap<>(Mode.class);
      for (int round = 0; round <= rounds; round++) {
        for (Mode mode : Mode.values()) {
          db.execute("truncate bench_msg_payments");
          db.execute("truncate bench_msg_keys");
          counter.reset();
          long start = System.nanoTime();
          drain(
              broker.getBrokersAsString(),
              topic,
              records,
              batch -> {
                switch (mode) {
                  case BARE -> {
                    for (ConsumerRecord<String, String> r : batch) {
                      inTransaction(pool, c -> insert(c, r));
                    }
                  }
                  case DEDUP -> {
                    for (ConsumerRecord<String, String> r : batch) {
                      inbox.process(r);
                    }
                  }
                  case BARE_BATCH ->
                      inTransaction(
                          pool,
                          c -> {
                            for (ConsumerRecord<String, String> r : batch) {
                              insert(c, r);
                            }
                          });
                  case DEDUP_BATCH -> {
                    TransactionalIdempotentConsumer.BatchResult result = inbox.processBatch(batch);
                    if (result.count(TransactionalIdempotentConsumer.BatchResult.Outcome.PROCESSED)
                        != batch.size()) {
                      throw new IllegalStateException("not every new key processed: " + result);
                    }
                  }
                  default -> throw new IllegalStateException(mode.name());
                }
              });
          double seconds = (System.nanoTime() - start) / 1e9;
          double perSecond = records / seconds;
          double perRecord = (double) counter.get() / records;
          long rows = db.queryLong("select count(*) from bench_msg_payments");
          if (rows != records) {
            throw new IllegalStateException("expected " + records + " rows, found " + rows);
          }
          System.out.printf(
              Locale.ROOT,
              "round %d %-11s %8.0f records/s  %.3f round trips/record%s%n",
              round,
              mode.label,
              perSecond,
              perRecord,
              round == 0 ? "  (warm-up, not counted)" : "");
          if (round > 0) {
            rates.computeIfAbsent(mode, m -> new ArrayList<>()).add(perSecond);
            trips.put(mode, perRecord);
          }
        }
      }
      StringBuilder table = new StringBuilder();
      table.append(
          String.format(
              Locale.ROOT,
              "%n| listener | records/s (median of %d) | round trips / record |%n|---|---:|---:|%n",
              rounds));
      for (Mode mode : Mode.values()) {
        table.append(
            String.format(
                Locale.ROOT,
                "| %s | %.0f | %.3f |%n",
                mode.description,
                median(rates.get(mode)),
                trips.get(mode)));
      }
      System.out.print(table);
      System.out.printf(
          Locale.ROOT,
          "%nratio dedup / bare (per record): %.2f%n"
              + "ratio dedup-batch / bare-batch (one transaction per poll): %.2f (target >= 0.70)%n"
              + "ratio dedup-batch / bare (per record): %.2f%n",
          median(rates.get(Mode.DEDUP)) / median(rates.get(Mode.BARE)),
          median(rates.get(Mode.DEDUP_BATCH)) / median(rates.get(Mode.BARE_BATCH)),
          median(rates.get(Mode.DEDUP_BATCH)) / median(rates.get(Mode.BARE)));
    } finally {
      broker.destroy();
    }
  }

  /** The four listeners, run in this order in every round. */
  enum Mode {
    BARE("bare", "bare (insert in a transaction per record)"),
    DEDUP("dedup", "dedup per record (key inserted completed + insert, one transaction each)"),
    BARE_BATCH("bare-batch", "bare batch (the poll's inserts in one transaction)"),
    DEDUP_BATCH(
        "dedup-batch",
        "dedup batch (processBatch: one key statement + the poll's inserts, one transaction)");

    final String label;
    final String description;

    Mode(String label, String description) {
      this.label = label;
      this.description = description;
    }
  }

  @FunctionalInterface
  interface BatchHandler {
    void handle(List<ConsumerRecord<String, String>> batch) throws SQLException;
  }

  @FunctionalInterface
  interface ConnectionWork {
    void run(Connection connection) throws SQLException;
  }

  private static void inTransaction(DataSource pool, ConnectionWork work) throws SQLException {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      work.run(c);
      c.commit();
      c.setAutoCommit(true);
    }
  }

  private static void drain(String brokers, String topic, int records, BatchHandler handler)
      throws SQLException {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      int seen = 0;
      while (seen < records) {
        List<ConsumerRecord<String, String>> batch = new ArrayList<>();
        consumer.poll(Duration.ofMillis(200)).forEach(batch::add);
        if (!batch.isEmpty()) {
          handler.handle(batch);
          seen += batch.size();
        }
        consumer.commitSync();
      }
    }
  }

  private static void produce(String brokers, String topic, int records) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < records; i++) {
        ProducerRecord<String, String> r =
            new ProducerRecord<>(topic, "customer-" + (i % 100), "{\"amount\":" + i + "}");
        r.headers().add("Idempotency-Key", ("pay-" + i).getBytes(StandardCharsets.UTF_8));
        producer.send(r);
      }
      producer.flush();
    }
  }

  private static String key(ConsumerRecord<String, String> r) {
    return new String(r.headers().lastHeader("Idempotency-Key").value(), StandardCharsets.UTF_8);
  }

  private static void insert(Connection c, ConsumerRecord<String, String> r) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("insert into bench_msg_payments values (?, ?)")) {
      ps.setString(1, key(r));
      ps.setString(2, r.value());
      ps.executeUpdate();
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
