package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Several store instances, each on its own HikariCP pool (as separate service instances would be),
 * race from many threads for the same keys. Each acquired claim "executes" by inserting one row
 * into an effects table that has no unique constraint, so a double execution would show up as two
 * rows.
 */
@ReplicatedPostgres(replicas = 0)
class MultiInstanceJdbcIdempotencyStoreTest {

  private final PostgresCluster cluster;

  MultiInstanceJdbcIdempotencyStoreTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  private static final int INSTANCES = 4;
  private static final int THREADS_PER_INSTANCE = 4;
  private static final int KEYS = 150;

  @Test
  void everyKeyExecutesExactlyOnceOnEmbeddedPostgres() throws Exception {
    race(() -> cluster.primary().jdbcUrl(), "pg");
  }

  @Test
  void everyKeyExecutesExactlyOnceOnMariaDb() throws Exception {
    race(io.github.reliability4j.test.services.Services::mariaDbJdbcUrl, "maria");
  }

  private void race(Supplier<String> jdbcUrl, String prefix) throws Exception {
    String table = TestDatabases.uniqueTable("idem_multi_" + prefix);
    String effects = table + "_fx";
    List<HikariDataSource> pools = new ArrayList<>();
    List<JdbcIdempotencyStore> stores = new ArrayList<>();
    try {
      for (int i = 0; i < INSTANCES; i++) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(jdbcUrl.get());
        hc.setMaximumPoolSize(THREADS_PER_INSTANCE);
        hc.setPoolName("instance-" + i);
        HikariDataSource pool = new HikariDataSource(hc);
        pools.add(pool);
        stores.add(
            JdbcIdempotencyStore.create(
                pool,
                JdbcIdempotencyStoreConfig.custom()
                    .tableName(table)
                    .initializeSchema(true)
                    .build()));
      }
      try (Connection c = pools.get(0).getConnection();
          Statement st = c.createStatement()) {
        st.execute("CREATE TABLE " + effects + " (k VARCHAR(64) NOT NULL, instance INT NOT NULL)");
      }

      RequestFingerprint fp = RequestFingerprint.sha256("same request");
      AtomicInteger acquired = new AtomicInteger();
      AtomicInteger replayed = new AtomicInteger();
      ExecutorService threads = Executors.newFixedThreadPool(INSTANCES * THREADS_PER_INSTANCE);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < INSTANCES; i++) {
        int instance = i;
        JdbcIdempotencyStore store = stores.get(i);
        DataSource pool = pools.get(i);
        for (int t = 0; t < THREADS_PER_INSTANCE; t++) {
          long seed = instance * 31L + t;
          futures.add(
              threads.submit(
                  () -> {
                    List<Integer> order = new ArrayList<>();
                    for (int k = 0; k < KEYS; k++) {
                      order.add(k);
                    }
                    Collections.shuffle(order, new Random(seed));
                    start.await();
                    for (int k : order) {
                      IdempotencyKey key = IdempotencyKey.of("multi", "op", "k" + k);
                      ClaimResult r = store.claim(key, fp, Duration.ofMinutes(5));
                      if (r instanceof ClaimResult.Acquired a) {
                        acquired.incrementAndGet();
                        execute(pool, effects, "k" + k, instance);
                        assertThat(
                                store.complete(
                                    key,
                                    a.ownerToken(),
                                    StoredOutcome.ok("k" + k),
                                    Duration.ofHours(1)))
                            .isTrue();
                      } else if (r instanceof ClaimResult.Completed c) {
                        assertThat(c.outcome().bodyAsString()).isEqualTo("k" + k);
                        replayed.incrementAndGet();
                      } else {
                        assertThat(r).isInstanceOf(ClaimResult.InProgress.class);
                      }
                    }
                    return null;
                  }));
        }
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(5, TimeUnit.MINUTES);
      }
      threads.shutdown();

      assertThat(acquired.get()).isEqualTo(KEYS);
      assertThat(replayed.get()).isPositive();
      try (Connection c = pools.get(0).getConnection();
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT COUNT(*), COUNT(DISTINCT k), COUNT(DISTINCT instance) FROM " + effects)) {
        rs.next();
        assertThat(rs.getInt(1)).as("executions").isEqualTo(KEYS);
        assertThat(rs.getInt(2)).as("distinct keys executed").isEqualTo(KEYS);
        assertThat(rs.getInt(3)).as("instances that won at least one key").isGreaterThan(1);
      }
    } finally {
      if (!pools.isEmpty()) {
        TestDatabases.dropTable(pools.get(0), effects);
        TestDatabases.dropTable(pools.get(0), table);
      }
      pools.forEach(HikariDataSource::close);
    }
  }

  private static void execute(DataSource pool, String effects, String key, int instance)
      throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps =
            c.prepareStatement("INSERT INTO " + effects + " (k, instance) VALUES (?, ?)")) {
      ps.setString(1, key);
      ps.setInt(2, instance);
      ps.executeUpdate();
    }
  }
}
