package io.github.reliability4j.benchmarks.retention;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.jdbc.retention.RetentionEvent;
import io.github.reliability4j.jdbc.retention.RetentionPolicy;
import io.github.reliability4j.jdbc.retention.RetentionRun;
import io.github.reliability4j.jdbc.retention.RetentionRunner;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.jdbc.routing.RoutingConfig;
import io.github.reliability4j.test.mariadb.MariaDbCluster;
import io.github.reliability4j.test.mariadb.MariaDbClusterConfig;
import io.github.reliability4j.test.postgres.ClusterConfig;
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
 * 1,000,000-row table (500,000 rows eligible), primary + one replica, in one run per database:
 * embedded PostgreSQL 14 with streaming replication, and MariaDB 10.11 with GTID replication (local
 * {@code mariadbd} from the test kit). Not a JMH benchmark: each side is one long operation,
 * measured once per round.
 *
 * <p>PostgreSQL runs with durable commits on both nodes ({@code fsync=on}, {@code
 * synchronous_commit=on}; the kit's defaults are off): with asynchronous commit the WAL writer
 * flushes only every {@code wal_writer_delay} (200 ms), which set the floor of the earlier
 * measurements and hid any difference.
 *
 * <p>MariaDB runs with the server's own defaults for the buffer pool, redo log and durability
 * (128M, 96M, {@code innodb_flush_log_at_trx_commit=1}), not the test kit's memory-saving 32M, 4M
 * and 2: a 4 MB redo log forces a checkpoint flush every few thousand deleted rows, which no
 * production server has, and durable commits are what the PostgreSQL side runs with too.
 *
 * <p>Replica lag is measured four ways, sampled every {@code retention.sampleMs} (default 5 ms; 20
 * ms before, which set a 20–40 ms floor under every figure). A heartbeat thread writes the
 * primary's clock into a one-row table (autocommit) and notes when each commit returned; a sampler
 * reads the row on the replica. <b>Staleness</b> is how long the replica has been missing a
 * heartbeat the primary had already acknowledged (sample time minus the commit-return time of the
 * oldest heartbeat newer than the one the replica shows; 0 when it shows the newest acknowledged
 * one): what a read routed to the replica misses. <b>Heartbeat age</b> (the only figure before) is
 * the sample time minus the newest heartbeat value the replica shows; it also counts the
 * heartbeat's own commit latency on the primary (a durable commit waits for the WAL flush, which a
 * large batch or delete in flight lengthens), so it overstates replica lag when the primary's
 * commits are slow. On PostgreSQL also the WAL bytes the replica has not replayed ({@code
 * pg_current_wal_lsn() - replay_lsn}) and {@code replay_lag} from {@code pg_stat_replication}. On
 * MariaDB a transaction reaches the replica's relay log only when it commits, so one giant delete
 * holds the replica behind for as long as it takes to apply.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar
 * io.github.reliability4j.benchmarks.retention.RetentionBenchmark [rounds]
 * [postgres|mariadb|both]}. The runner's policy (budget 200 ms, batch 2,000 to 10,000 rows (the
 * policy's limit), lag bound 100 ms, poll 20 ms) can be changed with {@code -Dretention.budgetMs},
 * {@code initialBatch}, {@code maxBatch}, {@code maxLagMs}, {@code pollMs}; each table row records
 * the 1-minute load average at its start.
 */
public final class RetentionBenchmark {

  static final int ROWS = 1_000_000;
  static final int ELIGIBLE = 500_000;

  /** Heartbeat write and lag sampling interval (was 20 ms, the floor of every lag figure). */
  static final long SAMPLE_MS = Long.getLong("retention.sampleMs", 5);

  /** The runner's policy; system properties so that a run can try another trade-off. */
  static final Duration BUDGET = Duration.ofMillis(Long.getLong("retention.budgetMs", 200));

  static final int INITIAL_BATCH = Integer.getInteger("retention.initialBatch", 2_000);
  static final int MAX_BATCH =
      Integer.getInteger("retention.maxBatch", RetentionPolicy.MAX_BATCH_SIZE_LIMIT);
  static final Duration MAX_LAG = Duration.ofMillis(Long.getLong("retention.maxLagMs", 100));
  static final Duration POLL = Duration.ofMillis(Long.getLong("retention.pollMs", 20));

  /**
   * MariaDB with the server's own defaults for memory, redo log and durability ({@code
   * innodb_buffer_pool_size=128M}, {@code innodb_log_file_size=96M}, {@code
   * innodb_flush_log_at_trx_commit=1}) instead of the test kit's memory-saving 32M / 4M / 2; false
   * ({@code -Dretention.mariadbKitSettings=true}) keeps the kit's.
   */
  static final boolean MARIADB_SERVER_DEFAULTS =
      !Boolean.getBoolean("retention.mariadbKitSettings");

  /**
   * MariaDB replica applier threads ({@code slave_parallel_threads}, with {@code
   * slave_parallel_mode=optimistic}); 0 ({@code -Dretention.mariadbParallelThreads=0}, the server's
   * default) applies one transaction at a time. Optimistic parallel replication is a common
   * production setting: it lets the replica apply the runner's small, disjoint batches side by side
   * and group-commit them, and changes nothing for one giant transaction.
   */
  static final int MARIADB_PARALLEL_THREADS =
      Integer.getInteger("retention.mariadbParallelThreads", 0);

  /**
   * Diagnostic ({@code -Dretention.isolatedPrimary=true}, MariaDB only): the replica's apply thread
   * is stopped during each method and the runner has no lag view and no pause, so both methods run
   * alone on the primary. Separates the primary's cost of batching from the replica's apply, which
   * on this one 2-CPU machine competes with the primary for the same CPUs while the runner runs
   * (the naive delete's apply starts only after its commit). Lag figures are meaningless then.
   */
  static final boolean ISOLATED_PRIMARY = Boolean.getBoolean("retention.isolatedPrimary");

  static double load() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private RetentionBenchmark() {}

  /** What differs between the two databases. */
  interface Db {
    String name();

    DataSource primary();

    DataSource replica();

    void awaitCaughtUp() throws Exception;

    void load(String table) throws SQLException;

    String naiveDelete(String table);

    /** WAL bytes not yet replayed and replay_lag in ms, or null where not measurable. */
    long[] walLag(Statement primary) throws SQLException;

    /** Stops or resumes the replica's apply thread (only for the isolated-primary diagnostic). */
    default void applyOnReplica(boolean apply) {
      throw new UnsupportedOperationException(name() + ": no isolated-primary diagnostic");
    }

    /** Server counters that do not depend on the load, by name; empty where not read. */
    default java.util.Map<String, Long> counters(DataSource ds) throws SQLException {
      return java.util.Map.of();
    }
  }

  /** MariaDB status counters read around each method, on the primary and the replica. */
  static final java.util.List<String> MARIADB_COUNTERS =
      java.util.List.of(
          "Com_select",
          "Com_update",
          "Com_delete",
          "Com_commit",
          "Innodb_os_log_fsyncs",
          "Innodb_data_fsyncs",
          "Binlog_commits",
          "Binlog_group_commits");

  static java.util.Map<String, Long> mariaDbCounters(DataSource ds) throws SQLException {
    java.util.Map<String, Long> m = new java.util.TreeMap<>();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW GLOBAL STATUS")) {
      while (rs.next()) {
        if (MARIADB_COUNTERS.contains(rs.getString(1))) {
          m.put(rs.getString(1), Long.parseLong(rs.getString(2)));
        }
      }
    }
    return m;
  }

  static String delta(java.util.Map<String, Long> before, java.util.Map<String, Long> after) {
    StringBuilder sb = new StringBuilder();
    for (java.util.Map.Entry<String, Long> e : after.entrySet()) {
      sb.append(sb.length() == 0 ? "" : ", ")
          .append(e.getKey())
          .append(' ')
          .append(e.getValue() - before.getOrDefault(e.getKey(), 0L));
    }
    return sb.toString();
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    String which = args.length > 1 ? args[1] : "both";
    System.out.printf(
        "cpus: %d, load average: %.2f%n",
        Runtime.getRuntime().availableProcessors(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    if (!which.equals("mariadb")) {
      try (PostgresCluster cluster =
          PostgresCluster.start(
              ClusterConfig.custom()
                  .replicas(1)
                  .serverSetting("fsync", "on")
                  .serverSetting("synchronous_commit", "on")
                  .build())) {
        HikariDataSource primary = pool(cluster.primary().jdbcUrl(), "pg-primary");
        HikariDataSource replica = pool(cluster.replica(0).jdbcUrl(), "pg-replica");
        try {
          compare(
              rounds,
              new Db() {
                public String name() {
                  return "PostgreSQL";
                }

                public DataSource primary() {
                  return primary;
                }

                public DataSource replica() {
                  return replica;
                }

                public void awaitCaughtUp() {
                  cluster.awaitReplicasCaughtUp(Duration.ofMinutes(2));
                }

                public void load(String t) throws SQLException {
                  loadPostgres(primary, t);
                }

                public String naiveDelete(String t) {
                  return "DELETE FROM " + t + " WHERE created_at < now() - interval '7 days'";
                }

                public long[] walLag(Statement st) throws SQLException {
                  try (ResultSet rs =
                      st.executeQuery(
                          "SELECT COALESCE(max(pg_current_wal_lsn() - replay_lsn), 0)::bigint,"
                              + " COALESCE(max(extract(epoch FROM replay_lag) * 1000), 0)::bigint"
                              + " FROM pg_stat_replication")) {
                    rs.next();
                    return new long[] {rs.getLong(1), rs.getLong(2)};
                  }
                }
              });
        } finally {
          primary.close();
          replica.close();
        }
      }
    }
    if (!which.equals("postgres")) {
      if (!MariaDbCluster.binariesAvailable()) {
        System.out.println("MariaDB: mariadbd not found, skipped");
        return;
      }
      MariaDbClusterConfig.Builder config = MariaDbClusterConfig.custom().replicas(1);
      if (MARIADB_SERVER_DEFAULTS) {
        config
            .serverOption("innodb_buffer_pool_size", "128M")
            .serverOption("innodb_log_file_size", "96M")
            .serverOption("innodb_flush_log_at_trx_commit", "1");
      }
      if (MARIADB_PARALLEL_THREADS > 0) {
        // harmless on the primary, which has no applier
        config
            .serverOption("slave_parallel_threads", Integer.toString(MARIADB_PARALLEL_THREADS))
            .serverOption("slave_parallel_mode", "optimistic");
      }
      try (MariaDbCluster cluster = MariaDbCluster.start(config.build())) {
        HikariDataSource primary = pool(cluster.primary().jdbcUrl(), "m-primary");
        HikariDataSource replica = pool(cluster.replica(0).jdbcUrl(), "m-replica");
        try {
          compare(
              rounds,
              new Db() {
                public String name() {
                  return "MariaDB";
                }

                public DataSource primary() {
                  return primary;
                }

                public DataSource replica() {
                  return replica;
                }

                public void awaitCaughtUp() {
                  cluster.awaitReplicasCaughtUp(Duration.ofMinutes(5));
                }

                public void load(String t) throws SQLException {
                  loadMariaDb(primary, t);
                }

                public String naiveDelete(String t) {
                  return "DELETE FROM " + t + " WHERE created_at < now() - interval 7 day";
                }

                public long[] walLag(Statement st) {
                  return null;
                }

                public java.util.Map<String, Long> counters(DataSource ds) throws SQLException {
                  return mariaDbCounters(ds);
                }

                public void applyOnReplica(boolean apply) {
                  if (apply) {
                    cluster.replica(0).startReplication();
                  } else {
                    cluster.replica(0).stopReplication();
                  }
                }
              });
        } finally {
          primary.close();
          replica.close();
        }
      }
    }
  }

  static void compare(int rounds, Db db) throws Exception {
    DataSource primary = db.primary();
    DataSource replica = db.replica();
    try (ReplicaRoutingDataSource routing =
        new ReplicaRoutingDataSource(
            RoutingConfig.custom()
                .primary("primary", primary)
                .replica("replica", replica)
                .tokenKey("retention-benchmark-key-0123456789".getBytes(StandardCharsets.UTF_8))
                .policy(
                    RoutingPolicy.custom()
                        .sampleInterval(POLL)
                        .maxReplicaLag(Duration.ofSeconds(30))
                        .sampleExpiry(Duration.ofSeconds(30))
                        .build())
                .build())) {
      exec(primary, "DROP TABLE IF EXISTS heartbeat");
      exec(primary, "CREATE TABLE heartbeat (id int PRIMARY KEY, at_ms bigint NOT NULL)");
      exec(primary, "INSERT INTO heartbeat VALUES (1, 0)");
      System.out.printf(
          "%n%s (runner: budget %d ms, batch %d..%d rows, lag bound %d ms, poll %d ms; lag"
              + " sampled every %d ms; MariaDB replica applier threads %d%s)%n%n",
          db.name(),
          BUDGET.toMillis(),
          INITIAL_BATCH,
          MAX_BATCH,
          MAX_LAG.toMillis(),
          POLL.toMillis(),
          SAMPLE_MS,
          MARIADB_PARALLEL_THREADS,
          ISOLATED_PRIMARY
              ? "; ISOLATED PRIMARY: replica apply stopped during each method, no lag view,"
                  + " lag figures meaningless"
              : "");
      System.out.println(
          "| round | method | load | rows deleted | seconds | rows/s | peak staleness (ms) | peak"
              + " heartbeat age (ms) | peak"
              + " WAL bytes not replayed | peak replay_lag (ms) | batches | batch sizes |"
              + " max batch (ms) | time in batches (ms) | throttled (ms) |");
      System.out.println(
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
      java.util.List<String> counterLines = new java.util.ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        for (String method : new String[] {"naive DELETE", "RetentionRunner"}) {
          String t = "ret_bench_" + round + (method.startsWith("naive") ? "_naive" : "_runner");
          exec(primary, "DROP TABLE IF EXISTS " + t);
          db.load(t);
          db.awaitCaughtUp();
          LagMeter lag = new LagMeter(db);
          lag.start();
          lag.awaitFresh();
          double loadAtStart = load();
          java.util.Map<String, Long> primaryBefore = db.counters(primary);
          java.util.Map<String, Long> replicaBefore = db.counters(replica);
          String sizes = "—";
          long batchMs;
          if (ISOLATED_PRIMARY) {
            db.applyOnReplica(false);
          }
          long t0 = System.nanoTime();
          long deleted;
          long batches = 1;
          long throttled = 0;
          long maxBatch;
          if (method.startsWith("naive")) {
            try (Connection c = primary.getConnection();
                Statement st = c.createStatement()) {
              deleted = st.executeUpdate(db.naiveDelete(t));
            }
            maxBatch = (System.nanoTime() - t0) / 1_000_000;
            batchMs = maxBatch;
          } else {
            int[] minMax = {Integer.MAX_VALUE, 0};
            long[] inBatches = {0};
            RetentionPolicy.Builder policy =
                RetentionPolicy.custom()
                    .table(t)
                    .ageColumn("created_at")
                    .maxAge(Duration.ofDays(7))
                    .initialBatchSize(INITIAL_BATCH)
                    .maxBatchSize(MAX_BATCH)
                    .batchTimeBudget(BUDGET)
                    .maxReplicaLag(MAX_LAG)
                    .throttlePollInterval(POLL);
            RetentionRunner.Builder runner;
            if (ISOLATED_PRIMARY) {
              runner =
                  RetentionRunner.builder(
                      primary, policy.pauseBetweenBatches(Duration.ZERO).build());
            } else {
              runner = RetentionRunner.builder(primary, policy.build()).lagView(routing.lagView());
            }
            RetentionRun run =
                runner
                    .listener(
                        e -> {
                          if (e.type() == RetentionEvent.Type.BATCH) {
                            minMax[0] = Math.min(minMax[0], e.batchSize());
                            minMax[1] = Math.max(minMax[1], e.batchSize());
                            inBatches[0] += e.duration().toNanos();
                          }
                        })
                    .build()
                    .run();
            sizes = minMax[0] + "–" + minMax[1];
            batchMs = inBatches[0] / 1_000_000;
            deleted = run.rowsDeleted();
            batches = run.batches();
            maxBatch = run.maxBatchDuration().toMillis();
            throttled = run.throttled().toMillis();
          }
          double seconds = (System.nanoTime() - t0) / 1e9;
          if (ISOLATED_PRIMARY) {
            db.applyOnReplica(true);
          }
          db.awaitCaughtUp();
          lag.stopAndWait();
          if (!primaryBefore.isEmpty()) {
            // includes the heartbeat writer's ~1 autocommit update per SAMPLE_MS and its apply
            counterLines.add(
                String.format(
                    "round %d %s (%d batches): primary: %s; replica: %s",
                    round,
                    method,
                    batches,
                    delta(primaryBefore, db.counters(primary)),
                    delta(replicaBefore, db.counters(replica))));
          }
          System.out.printf(
              "| %d | %s | %.2f | %d | %.2f | %.0f | %d | %d | %s | %s | %d | %s | %d | %d | %d"
                  + " |%n",
              round,
              method,
              loadAtStart,
              deleted,
              seconds,
              deleted / seconds,
              lag.peakStaleness.get(),
              lag.peak.get(),
              lag.measuresWal ? Long.toString(lag.peakWalBytes.get()) : "—",
              lag.measuresWal ? Long.toString(lag.peakReplayLag.get()) : "—",
              batches,
              sizes,
              maxBatch,
              batchMs,
              throttled);
          exec(primary, "DROP TABLE " + t);
        }
      }
      exec(primary, "DROP TABLE heartbeat");
      counterLines.forEach(System.out::println);
    }
  }

  static void loadPostgres(DataSource ds, String t) throws SQLException {
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

  static void loadMariaDb(DataSource ds, String t) throws SQLException {
    exec(
        ds,
        "CREATE TABLE "
            + t
            + " (id bigint AUTO_INCREMENT PRIMARY KEY, created_at datetime(6) NOT NULL,"
            + " status varchar(16) NOT NULL, payload varchar(64)) ENGINE=InnoDB");
    exec(
        ds,
        "INSERT INTO "
            + t
            + " (created_at, status, payload) SELECT CASE WHEN seq <= "
            + ELIGIBLE
            + " THEN now() - interval 30 day ELSE now() END, 'DONE', md5(seq)"
            + " FROM seq_1_to_"
            + ROWS);
    exec(ds, "CREATE INDEX " + t + "_age ON " + t + " (created_at)");
    exec(ds, "ANALYZE TABLE " + t);
  }

  /**
   * Heartbeat on the primary, staleness sampled on the replica; on PostgreSQL also the WAL bytes
   * not yet replayed and replay_lag, sampled on the primary.
   */
  static final class LagMeter {
    final Db db;
    final DataSource primary;
    final DataSource replica;
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong peak = new AtomicLong();
    final AtomicLong peakStaleness = new AtomicLong();

    /** Heartbeat value written -> client time its commit returned on the primary. */
    final java.util.concurrent.ConcurrentSkipListMap<Long, Long> committedAt =
        new java.util.concurrent.ConcurrentSkipListMap<>();

    final AtomicLong peakWalBytes = new AtomicLong();
    final AtomicLong peakReplayLag = new AtomicLong();
    final AtomicLong lastSeen = new AtomicLong();
    volatile boolean measuresWal;
    Thread writer;
    Thread sampler;
    Thread walSampler;

    LagMeter(Db db) {
      this.db = db;
      this.primary = db.primary();
      this.replica = db.replica();
    }

    void start() {
      writer =
          new Thread(
              () ->
                  loop(
                      primary,
                      st -> {
                        long v = System.currentTimeMillis();
                        st.executeUpdate("UPDATE heartbeat SET at_ms = " + v + " WHERE id = 1");
                        committedAt.putIfAbsent(v, System.currentTimeMillis());
                      }));
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
                          long now = System.currentTimeMillis();
                          peak.accumulateAndGet(now - seen, Math::max);
                          // the oldest heartbeat the primary had acknowledged that the replica
                          // does not show yet: how stale a read routed to it is
                          java.util.Map.Entry<Long, Long> next = committedAt.higherEntry(seen);
                          if (next != null && next.getValue() <= now) {
                            peakStaleness.accumulateAndGet(now - next.getValue(), Math::max);
                          }
                        }
                      }));
      walSampler =
          new Thread(
              () ->
                  loop(
                      primary,
                      st -> {
                        long[] w = db.walLag(st);
                        if (w != null) {
                          measuresWal = true;
                          peakWalBytes.accumulateAndGet(w[0], Math::max);
                          peakReplayLag.accumulateAndGet(w[1], Math::max);
                        }
                      }));
      writer.start();
      sampler.start();
      walSampler.start();
    }

    /** Waits until the replica shows a recent heartbeat, then forgets the warm-up samples. */
    void awaitFresh() throws InterruptedException {
      long start = System.currentTimeMillis();
      while (lastSeen.get() < start) {
        Thread.sleep(10);
      }
      peak.set(0);
      peakStaleness.set(0);
      peakWalBytes.set(0);
      peakReplayLag.set(0);
    }

    void stopAndWait() throws InterruptedException {
      stop.set(true);
      writer.join();
      sampler.join();
      walSampler.join();
    }

    interface Step {
      void run(Statement st) throws SQLException;
    }

    void loop(DataSource ds, Step step) {
      try (Connection c = ds.getConnection();
          Statement st = c.createStatement()) {
        while (!stop.get()) {
          step.run(st);
          Thread.sleep(SAMPLE_MS);
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
