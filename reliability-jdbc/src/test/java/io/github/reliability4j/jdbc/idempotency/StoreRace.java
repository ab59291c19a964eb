package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
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
import javax.sql.DataSource;

/**
 * Several store instances, each on its own HikariCP pool (as separate service instances would be),
 * race from many threads for the same keys, every thread walking all keys in its own shuffled
 * order. Each acquired claim "executes" by inserting one row into an effects table that has no
 * unique constraint, so a double execution shows up as a second row for the key.
 */
final class StoreRace {

  private StoreRace() {}

  /**
   * Runs the race and asserts that every key was executed exactly once, that every other thread saw
   * either the completed outcome or the in-flight record, and that more than one instance won keys
   * (the race was real).
   */
  static void run(String jdbcUrl, String prefix, int instances, int threadsPerInstance, int keys)
      throws Exception {
    String table = TestDatabases.uniqueTable("idem_race_" + prefix);
    String effects = table + "_fx";
    List<HikariDataSource> pools = new ArrayList<>();
    List<JdbcIdempotencyStore> stores = new ArrayList<>();
    try {
      for (int i = 0; i < instances; i++) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(jdbcUrl);
        hc.setMaximumPoolSize(threadsPerInstance);
        hc.setPoolName(prefix + "-instance-" + i);
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
      ExecutorService threads = Executors.newFixedThreadPool(instances * threadsPerInstance);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < instances; i++) {
        int instance = i;
        JdbcIdempotencyStore store = stores.get(i);
        DataSource pool = pools.get(i);
        for (int t = 0; t < threadsPerInstance; t++) {
          long seed = instance * 31L + t;
          futures.add(
              threads.submit(
                  () -> {
                    List<Integer> order = new ArrayList<>();
                    for (int k = 0; k < keys; k++) {
                      order.add(k);
                    }
                    Collections.shuffle(order, new Random(seed));
                    start.await();
                    for (int k : order) {
                      IdempotencyKey key = IdempotencyKey.of("race", "op", "k" + k);
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
      try {
        for (Future<?> f : futures) {
          f.get(5, TimeUnit.MINUTES);
        }
      } finally {
        threads.shutdownNow();
      }

      assertThat(acquired.get()).as("claims acquired").isEqualTo(keys);
      assertThat(replayed.get()).isPositive();
      try (Connection c = pools.get(0).getConnection();
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT COUNT(*), COUNT(DISTINCT k), COUNT(DISTINCT instance) FROM " + effects)) {
        rs.next();
        assertThat(rs.getInt(1)).as("executions").isEqualTo(keys);
        assertThat(rs.getInt(2)).as("distinct keys executed").isEqualTo(keys);
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
