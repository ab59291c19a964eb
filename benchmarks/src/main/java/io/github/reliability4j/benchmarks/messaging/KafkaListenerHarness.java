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
import java.util.List;
import java.util.Locale;
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
 * {@code @Transactional} listener.
 *
 * <p>Every record carries a new key, the expensive path (a duplicate costs the failed insert, a
 * rollback and the engine's claim: three round trips and no business write). Broker: embedded KRaft
 * in this JVM, topic of 2 partitions, filled once; each measurement drains it with a fresh consumer
 * group ({@code max.poll.records=500}, offsets committed after each batch) on one thread. Database:
 * the embedded PostgreSQL of the benchmarks ({@code fsync=off}), through a HikariCP pool over a
 * round-trip counter. Rounds alternate bare and dedup; the ratio is of the medians.
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
      List<Double> bare = new ArrayList<>();
      List<Double> dedup = new ArrayList<>();
      double bareTrips = 0;
      double dedupTrips = 0;
      for (int round = 0; round <= rounds; round++) {
        for (boolean deduplicating : new boolean[] {false, true}) {
          db.execute("truncate bench_msg_payments");
          db.execute("truncate bench_msg_keys");
          counter.reset();
          long start = System.nanoTime();
          drain(
              broker.getBrokersAsString(),
              topic,
              records,
              r -> {
                if (deduplicating) {
                  inbox.process(r);
                } else {
                  try (Connection c = pool.getConnection()) {
                    c.setAutoCommit(false);
                    insert(c, r);
                    c.commit();
                    c.setAutoCommit(true);
                  }
                }
              });
          double seconds = (System.nanoTime() - start) / 1e9;
          double perSecond = records / seconds;
          double trips = (double) counter.get() / records;
          long rows = db.queryLong("select count(*) from bench_msg_payments");
          if (rows != records) {
            throw new IllegalStateException("expected " + records + " rows, found " + rows);
          }
          String label = deduplicating ? "dedup" : "bare";
          System.out.printf(
              Locale.ROOT,
              "round %d %-5s %8.0f records/s  %.2f round trips/record%s%n",
              round,
              label,
              perSecond,
              trips,
              round == 0 ? "  (warm-up, not counted)" : "");
          if (round > 0) {
            (deduplicating ? dedup : bare).add(perSecond);
            if (deduplicating) {
              dedupTrips = trips;
            } else {
              bareTrips = trips;
            }
          }
        }
      }
      double bareMedian = median(bare);
      double dedupMedian = median(dedup);
      System.out.printf(
          Locale.ROOT,
          "%n| listener | records/s (median of %d) | round trips / record |%n|---|---:|---:|%n"
              + "| bare (insert in a transaction) | %.0f | %.2f |%n"
              + "| @IdempotentListener-equivalent (key inserted completed + insert in the transaction)"
              + " | %.0f | %.2f |%n%nratio dedup / bare: %.2f (target >= 0.70)%n",
          rounds,
          bareMedian,
          bareTrips,
          dedupMedian,
          dedupTrips,
          dedupMedian / bareMedian);
    } finally {
      broker.destroy();
    }
  }

  @FunctionalInterface
  interface RecordHandler {
    void handle(ConsumerRecord<String, String> record) throws SQLException;
  }

  private static void drain(String brokers, String topic, int records, RecordHandler handler)
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
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          handler.handle(r);
          seen++;
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
