package io.github.reliability4j.benchmarks.retention;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.jdbc.retention.RetentionPolicy;
import io.github.reliability4j.jdbc.retention.RetentionRun;
import io.github.reliability4j.jdbc.retention.RetentionRunner;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.jdbc.routing.RoutingConfig;
import io.github.reliability4j.test.postgres.PostgresCluster;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Batched retention runner vs one naive {@code DELETE ... WHERE created_at < cut} on the same
 * 1,000,000-row table (500,000 rows eligible), embedded PostgreSQL primary + streaming replica, in
 * one run. Not a JMH benchmark: each side is one long operation, measured once per round.
 *
 * <p>Replica lag is measured as staleness: a heartbeat thread writes the primary's clock into a
 * one-row table every 20 ms, a sampler reads it on the replica every 20 ms, and the lag is the
 * primary's now minus the newest heartbeat the replica shows. A replica replaying one huge
 * transaction shows no heartbeat committed after it until that transaction is replayed.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar
 * io.github.reliability4j.benchmarks.retention.RetentionBenchmark [rounds]}.
 */
public final class RetentionBenchmark {

  static final int ROWS = 1_000_000;
  static final int ELIGIBLE = 500_000;

  private RetentionBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    try (PostgresCluster cluster = PostgresCluster.start(1)) {
      HikariDataSource primary = pool(cluster.primary().jdbcUrl(), "primary");
      HikariDataSource replica = pool(cluster.replica(0).jdbcUrl(), "replica");
      try (ReplicaRoutingDataSource routing =
          new ReplicaRoutingDataSource(
              RoutingConfig.custom()
                  .primary("primary", primary)
                  .replica("replica", replica)
                  .tokenKey("retention-benchmark-key-0123456789".getBytes(StandardCharsets.UTF_8))
                  .policy(
                      RoutingPolicy.custom()
                          .sampleInterval(Duration.ofMillis(50))
                          .maxReplicaLag(Duration.ofSeconds(30))
                          .sampleExpiry(Duration.ofSeconds(30))
                          .build())
                  .build())) {
        exec(primary, "CREATE TABLE heartbeat (id int PRIMARY KEY, at_ms bigint NOT NULL)");
        exec(primary, "INSERT INTO heartbeat VALUES (1, 0)");
        System.out.printf(
            "cpus: %d, load average: %.2f%n",
            Runtime.getRuntime().availableProcessors(),
            java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage());
        System.out.println(
            "| round | method | rows deleted | seconds | rows/s | peak replica lag (ms) | batches"
                + " | max batch (ms) | throttled (ms) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (int round = 1; round <= rounds; round++) {
          for (String method : new String[] {"naive DELETE", "RetentionRunner"}) {
            String t = "ret_bench_" + round + (method.startsWith("naive") ? "_naive" : "_runner");
            load(primary, t);
            cluster.awaitReplicasCaughtUp(Duration.ofMinutes(2));
            LagMeter lag = new LagMeter(primary, replica);
            lag.start();
            lag.awaitFresh();
            long t0 = System.nanoTime();
            long deleted;
            long batches = 1;
            long throttled = 0;
            long maxBatch;
            if (method.startsWith("naive")) {
              try (Connection c = primary.getConnection();
                  Statement st = c.createStatement()) {
                deleted =
                    st.executeUpdate(
                        "DELETE FROM " + t + " WHERE created_at < now() - interval '7 days'");
              }
              maxBatch = (System.nanoTime() - t0) / 1_000_000;
            } else {
              RetentionRun run =
                  RetentionRunner.builder(
                          primary,
                          RetentionPolicy.custom()
                              .table(t)
                              .ageColumn("created_at")
                              .maxAge(Duration.ofDays(7))
                              .initialBatchSize(1000)
                              .maxBatchSize(10_000)
                              .batchTimeBudget(Duration.ofMillis(200))
                              .maxReplicaLag(Duration.ofMillis(500))
                              .throttlePollInterval(Duration.ofMillis(50))
                              .build())
                      .lagView(routing.lagView())
                      .build()
                      .run();
              deleted = run.rowsDeleted();
              batches = run.batches();
              maxBatch = run.maxBatchDuration().toMillis();
              throttled = run.throttled().toMillis();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            cluster.awaitReplicasCaughtUp(Duration.ofMinutes(2));
            lag.stopAndWait();
            System.out.printf(
                "| %d | %s | %d | %.1f | %.0f | %d | %d | %d | %d |%n",
                round,
                method,
                deleted,
                seconds,
                deleted / seconds,
                lag.peak.get(),
                batches,
                maxBatch,
                throttled);
            exec(primary, "DROP TABLE " + t);
          }
        }
      } finally {
        primary.close();
        replica.close();
      }
    }
  }

  static void load(DataSource ds, String t) throws SQLException {
    exec(
        ds,
        "CREATE TABLE "
            + t
            + " (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL, status text NOT NULL,"
            + " payload text)");
    exec(
        ds,
        "INSERT INTO "
            + t
            + " (created_at, status, payload) SELECT CASE WHEN g <= "
            + ELIGIBLE
            + " THEN now() - interval '30 days' ELSE now() END, 'DONE', md5(g::text)"
            + " FROM generate_series(1, "
            + ROWS
            + ") g");
    exec(ds, "CREATE INDEX " + t + "_age ON " + t + " (created_at)");
    exec(ds, "VACUUM ANALYZE " + t);
  }

  /** Heartbeat on the primary, staleness sampled on the replica. */
  static final class LagMeter {
    final DataSource primary;
    final DataSource replica;
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong peak = new AtomicLong();
    final AtomicLong lastSeen = new AtomicLong();
    Thread writer;
    Thread sampler;

    LagMeter(DataSource primary, DataSource replica) {
      this.primary = primary;
      this.replica = replica;
    }

    void start() {
      writer =
          new Thread(
              () ->
                  loop(
                      primary,
                      st ->
                          st.executeUpdate(
                              "UPDATE heartbeat SET at_ms = "
                                  + System.currentTimeMillis()
                                  + " WHERE id = 1")));
      sampler =
          new Thread(
              () ->
                  loop(
                      replica,
                      st -> {
                        try (ResultSet rs = st.executeQuery("SELECT at_ms FROM heartbeat")) {
                          rs.next();
                          long seen = rs.getLong(1);
                          lastSeen.set(seen);
                          long lag = System.currentTimeMillis() - seen;
                          peak.accumulateAndGet(lag, Math::max);
                        }
                      }));
      writer.start();
      sampler.start();
    }

    /** Waits until the replica shows a recent heartbeat, then forgets the warm-up samples. */
    void awaitFresh() throws InterruptedException {
      long start = System.currentTimeMillis();
      while (lastSeen.get() < start) {
        Thread.sleep(10);
      }
      peak.set(0);
    }

    void stopAndWait() throws InterruptedException {
      stop.set(true);
      writer.join();
      sampler.join();
    }

    interface Step {
      void run(Statement st) throws SQLException;
    }

    void loop(DataSource ds, Step step) {
      try (Connection c = ds.getConnection();
          Statement st = c.createStatement()) {
        while (!stop.get()) {
          step.run(st);
          Thread.sleep(20);
        }
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static void exec(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  static HikariDataSource pool(String url, String name) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    hc.setPoolName("retention-bench-" + name);
    hc.setMaximumPoolSize(6);
    hc.setMinimumIdle(0);
    return new HikariDataSource(hc);
  }
}
