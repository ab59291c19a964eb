package io.github.reliability4j.spring.messaging;

import static io.github.reliability4j.spring.messaging.KafkaIdempotentListenerTest.await;
import static io.github.reliability4j.spring.messaging.KafkaIdempotentListenerTest.count;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.EnableKafka;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.util.backoff.FixedBackOff;

/**
 * The JDBC store down under a transactional {@code @IdempotentListener} on {@code @KafkaListener}
 * (embedded KRaft broker; our own embedded PostgreSQL, never the shared server): the keys table
 * locked past the store's query timeout while the business database answers, and the whole server
 * stopped and started again. In both, while the store is down no record is applied and no offset is
 * committed (nothing acknowledged), and once it is back every record, re-sends included, is
 * processed exactly once or skipped as a duplicate: none is lost or dead-lettered. The error
 * handler retries without limit, as a consumer that must not lose records should.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaStoreDownTest {

  @TempDir static Path dir;

  private EmbeddedPostgres pg;
  private Path data;
  private int port;
  private HikariDataSource dataSource;
  private KafkaListenerFixture kafka;

  @BeforeAll
  void startDatabase() throws IOException {
    data = Files.createDirectories(dir.resolve("pg"));
    pg = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).start();
    port = pg.getPort();
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
    hc.setConnectionTimeout(500);
    hc.setInitializationFailTimeout(-1);
    hc.setMaximumPoolSize(6);
    dataSource = new HikariDataSource(hc);
  }

  @AfterAll
  void stopDatabase() throws IOException {
    dataSource.close();
    pg.close();
  }

  @BeforeEach
  void setUp() {
    kafka = KafkaListenerFixture.on(dataSource, "down", "k varchar(300), body text");
  }

  @AfterEach
  void tearDown() {
    kafka.close();
  }

  private ApplicationContextRunner runner() {
    return kafka.runner(App.class, "reliability.idempotency.jdbc.query-timeout=1s");
  }

  @Test
  void keysTableLockedAppliesNothingCommitsNoOffsetAndLosesNothing() {
    runner()
        .run(
            context -> {
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              AtomicInteger failures = context.getBean(Failures.class).count;
              kafka.sendAll(KafkaListenerFixture.amounts(List.of("before")));
              await(() -> count(registry, "processed") == 1, "the first record processed");
              await(() -> kafka.committed() == 1, "its offset committed");
              List<String> keys = outageKeys(20, 5);
              try (Connection lock = dataSource.getConnection();
                  Statement st = lock.createStatement()) {
                lock.setAutoCommit(false);
                st.execute("LOCK TABLE " + kafka.keysTable + " IN ACCESS EXCLUSIVE MODE");
                kafka.sendAll(KafkaListenerFixture.amounts(keys));
                await(
                    () -> count(registry, "store_unavailable") >= 3 && failures.get() >= 3,
                    "deliveries failing on the locked store: "
                        + RabbitIdempotentListenerTest.describe(registry));
                assertThat(kafka.committed()).as("nothing acknowledged").isEqualTo(1);
                assertThat(kafka.rows()).as("nothing applied").isEqualTo(1);
                lock.rollback();
              }
              assertAllProcessedOnce(registry, 20, 5);
            });
  }

  @Test
  void serverStoppedAppliesNothingCommitsNoOffsetAndLosesNothingOnceItIsBack() {
    runner()
        .run(
            context -> {
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              AtomicInteger failures = context.getBean(Failures.class).count;
              kafka.sendAll(KafkaListenerFixture.amounts(List.of("before")));
              await(() -> count(registry, "processed") == 1, "the first record processed");
              await(() -> kafka.committed() == 1, "its offset committed");
              pg.close();
              kafka.sendAll(KafkaListenerFixture.amounts(outageKeys(30, 10)));
              await(() -> failures.get() >= 3, "deliveries failing while the server is down");
              assertThat(kafka.committed()).as("nothing acknowledged").isEqualTo(1);
              pg =
                  EmbeddedPostgres.builder()
                      .setDataDirectory(data)
                      .setCleanDataDirectory(false)
                      .setPort(port)
                      .start();
              assertAllProcessedOnce(registry, 30, 10);
            });
  }

  /** {@code distinct} new keys and {@code resent} re-sends of some of them (producer retries). */
  private static List<String> outageKeys(int distinct, int resent) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < distinct; i++) {
      keys.add("down-" + i);
    }
    for (int i = 0; i < resent; i++) {
      keys.add("down-" + (i * 3 % distinct));
    }
    return keys;
  }

  private void assertAllProcessedOnce(MeterRegistry registry, int distinct, int resent) {
    int records = 1 + distinct + resent;
    await(
        () -> count(registry, "processed") + count(registry, "duplicate") == records,
        "every record processed or skipped: " + RabbitIdempotentListenerTest.describe(registry));
    await(() -> kafka.committed() == records, "every offset committed");
    assertThat(count(registry, "processed")).isEqualTo(1 + distinct);
    assertThat(count(registry, "duplicate")).isEqualTo(resent);
    assertThat(count(registry, "mismatched")).isZero();
    assertThat(count(registry, "rejected")).isZero();
    assertThat(kafka.rows()).isEqualTo(1 + distinct);
    assertThat(kafka.distinctKeys()).isEqualTo(1 + distinct);
  }

  /** Failed delivery attempts the error handler saw. */
  static class Failures {
    final AtomicInteger count = new AtomicInteger();
  }

  @Configuration(proxyBeanMethods = false)
  @EnableKafka
  @EnableTransactionManagement
  @Import(KafkaListenerFixture.CommonBeans.class)
  static class App {

    @Bean
    Failures failures() {
      return new Failures();
    }

    @Bean
    DefaultErrorHandler errorHandler(@Value("${test.brokers}") String brokers, Failures failures) {
      // Transient failures (the store down) are retried without limit: never dead-lettered.
      DefaultErrorHandler handler =
          new DefaultErrorHandler(
              new DeadLetterPublishingRecoverer(TestKafka.template(brokers)),
              new FixedBackOff(100, FixedBackOff.UNLIMITED_ATTEMPTS));
      handler.setRetryListeners((record, ex, attempt) -> failures.count.incrementAndGet());
      return handler;
    }

    @Bean
    ConcurrentKafkaListenerContainerFactory<String, String> kafkaListenerContainerFactory(
        @Value("${test.brokers}") String brokers, DefaultErrorHandler errorHandler) {
      return TestKafka.listenerFactory(
          brokers,
          new StringDeserializer(),
          Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50),
          errorHandler);
    }

    @Bean
    Ledger ledger(DataSource dataSource, @Value("${test.table}") String table) {
      return new Ledger(new JdbcTemplate(dataSource), table);
    }
  }

  /** One insert per processed record, in the listener's transaction. */
  static class Ledger {
    private final JdbcTemplate jdbc;
    private final String table;

    Ledger(JdbcTemplate jdbc, String table) {
      this.jdbc = jdbc;
      this.table = table;
    }

    @KafkaListener(id = "down-ledger", topics = "${test.topic}", groupId = "${test.group}")
    @IdempotentListener(operation = "apply-payment", name = "apply-payment")
    @Transactional
    public void on(ConsumerRecord<String, String> record) {
      String key =
          new String(
              record.headers().lastHeader("Idempotency-Key").value(), StandardCharsets.UTF_8);
      jdbc.update("insert into " + table + " (k, body) values (?, ?)", key, record.value());
    }
  }
}
