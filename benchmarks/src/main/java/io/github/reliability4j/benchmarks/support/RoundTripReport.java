package io.github.reliability4j.benchmarks.support;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.benchmarks.routing.Routing;
import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.jdbc.routing.RoutingConfig;
import io.github.reliability4j.test.postgres.PostgresCluster;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.camel.processor.idempotent.jdbc.JdbcMessageIdRepository;
import org.springframework.jdbc.datasource.LazyConnectionDataSourceProxy;

/**
 * Counts database round trips per operation for the JDBC idempotency stores (group 2) and the read
 * paths of the routing benchmark (group 3), with {@link RoundTripCounter} under the HikariCP pools.
 * Each operation runs {@value #WARM_UP} times unmeasured, then {@value #MEASURED} times measured
 * one by one, single-threaded; the report gives the mean and the range per operation.
 *
 * <p>The routing DataSource here runs without its background lag monitor (its samples would be
 * counted too); the covered-token session is prepared with an explicit {@code sampleNow()}.
 */
public final class RoundTripReport {

  static final int WARM_UP = 20;
  static final int MEASURED = 200;
  static final Duration LEASE = Duration.ofSeconds(30);
  static final Duration RETENTION = Duration.ofHours(24);
  static final StoredOutcome OUTCOME = StoredOutcome.ok("{\"paymentId\":\"p-1\"}");
  static final RequestFingerprint FP = RequestFingerprint.ofParts("POST", "/payments", "{}");

  /** One measured operation. */
  public record Line(
      String group,
      String operation,
      double mean,
      long min,
      long max,
      double primary,
      double replica,
      double walBytes) {}

  interface Step {
    void run(int i) throws Exception;
  }

  private final RoundTripCounter primaryCounter = new RoundTripCounter();
  private final RoundTripCounter replicaCounter = new RoundTripCounter();
  private final List<Line> lines = new ArrayList<>();

  /** Reads the primary's WAL insert position, uncounted; null where WAL is not measured. */
  private Connection walProbe;

  public static void main(String[] args) throws Exception {
    try (PostgresCluster cluster = BenchDatabase.startCluster()) {
      print(measure(cluster.primary().jdbcUrl(), cluster.replica(0).jdbcUrl()), System.out);
    }
  }

  public static List<Line> measure(String primaryUrl, String replicaUrl) throws Exception {
    RoundTripReport r = new RoundTripReport();
    try (Connection wal = BenchDatabase.plain(primaryUrl).getConnection()) {
      r.walProbe = wal;
      r.idempotency(primaryUrl);
    } finally {
      r.walProbe = null;
    }
    r.routing(primaryUrl, replicaUrl);
    return r.lines;
  }

  private void idempotency(String primaryUrl) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    try (HikariDataSource pool =
        BenchDatabase.pool("rt-jdbc", primaryCounter.wrap(BenchDatabase.plain(primaryUrl)), 1)) {
      JdbcIdempotencyStore store =
          JdbcIdempotencyStore.create(
              pool,
              JdbcIdempotencyStoreConfig.custom()
                  .tableName("r4j_idem_rt")
                  .initializeSchema(true)
                  .build());
      Idempotency engine = Idempotency.of(store);
      JdbcMessageIdRepository camel = new JdbcMessageIdRepository(pool, "rt");
      camel.setTableName("camel_msg_rt");
      camel.setCreateTableIfNotExists(true);
      camel.start();
      try {
        int n = WARM_UP + MEASURED;
        IdempotencyKey[] keys = new IdempotencyKey[n];
        String[] tokens = new String[n];
        for (int i = 0; i < n; i++) {
          keys[i] = IdempotencyKey.of("rt", "op", run + "-" + i);
        }
        String g = "2. JDBC idempotency";
        measure(
            g,
            "reliability4j `claim` (new key)",
            i ->
                tokens[i] =
                    ((ClaimResult.Acquired) store.claim(keys[i], FP, LEASE, RETENTION))
                        .ownerToken());
        measure(
            g,
            "reliability4j `complete`",
            i -> check(store.complete(keys[i], tokens[i], OUTCOME, RETENTION)));
        measure(
            g,
            "reliability4j `claim` of a completed key (duplicate lookup)",
            i ->
                check(store.claim(keys[i], FP, LEASE, RETENTION) instanceof ClaimResult.Completed));
        measure(
            g, "reliability4j `find` (completed key)", i -> check(store.find(keys[i]).isPresent()));
        measure(
            g,
            "reliability4j engine `execute`, new key (claim + action + complete)",
            i ->
                check(
                    engine.execute(key("e" + run, i), FP, () -> OUTCOME).status()
                        == IdempotencyResult.Status.STORED));
        measure(
            g,
            "reliability4j engine `execute`, completed key (replay)",
            i -> check(engine.execute(keys[i], FP, () -> OUTCOME).isReplayed()));
        measure(g, "Camel `add` (new id)", i -> check(camel.add(run + "-" + i)));
        measure(g, "Camel `confirm`", i -> check(camel.confirm(run + "-" + i)));
        measure(g, "Camel `contains` (existing id)", i -> check(camel.contains(run + "-" + i)));
        measure(g, "Camel `add` (existing id, duplicate)", i -> check(!camel.add(run + "-" + i)));
      } finally {
        camel.stop();
      }
    }
  }

  private static IdempotencyKey key(String prefix, int i) {
    return IdempotencyKey.of("rt", "op", prefix + "-" + i);
  }

  private void routing(String primaryUrl, String replicaUrl) throws Exception {
    try (HikariDataSource primary =
            BenchDatabase.pool(
                "rt-primary", primaryCounter.wrap(BenchDatabase.plain(primaryUrl)), 2);
        HikariDataSource replica =
            BenchDatabase.pool(
                "rt-replica", replicaCounter.wrap(BenchDatabase.plain(replicaUrl)), 2)) {
      ReplicaRoutingDataSource routing =
          new ReplicaRoutingDataSource(
              RoutingConfig.custom()
                  .primary("primary", primary)
                  .replica("replica-0", replica)
                  .monitor(false)
                  .build());
      try {
        routing.sampleNow();
        ConsistencySession covered = Routing.coveredSession(routing, "replica-0");
        LazyConnectionDataSourceProxy lazy = new LazyConnectionDataSourceProxy(primary);
        lazy.setReadOnlyDataSource(replica);
        String g = "3. Routing (get connection + SELECT 1 + close)";
        // The lag monitor is off here (its samples would be counted): sample before each operation
        // so the replica stays eligible, as the monitor keeps it in production.
        Step sample = i -> routing.sampleNow();
        measure(g, "raw HikariCP pool (replica)", sample, i -> read(replica, false));
        measure(g, "routing DataSource, no token", sample, i -> read(routing, true));
        measure(
            g,
            "routing DataSource, token covered by the replica's known position",
            sample,
            i -> {
              try (Consistency.Scope s = Consistency.session(covered)) {
                read(routing, true);
              }
            });
        measure(
            g,
            "Spring LazyConnectionDataSourceProxy + read-only DataSource",
            i -> read(lazy, true));
        measure(
            g,
            "routing DataSource, auto-commit INSERT in a session (write + position read)",
            i -> {
              try (Consistency.Scope s = Consistency.session(ConsistencySession.create());
                  Connection c = routing.getConnection();
                  Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO bench_writes (v) VALUES (" + i + ")");
              }
            });
      } finally {
        routing.close();
      }
    }
  }

  private static void read(DataSource ds, boolean readOnly) throws SQLException {
    try (Connection c = ds.getConnection()) {
      if (readOnly) {
        c.setReadOnly(true);
      }
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT 1")) {
        check(rs.next());
      }
    }
  }

  private static void check(boolean ok) {
    if (!ok) {
      throw new IllegalStateException("operation did not have the expected result");
    }
  }

  private void measure(String group, String operation, Step step) throws Exception {
    measure(group, operation, i -> {}, step);
  }

  /** Measures {@code step}; {@code prepare} runs before each, uncounted. */
  private void measure(String group, String operation, Step prepare, Step step) throws Exception {
    long min = Long.MAX_VALUE;
    long max = 0;
    long total = 0;
    long primary = 0;
    long replica = 0;
    long wal0 = 0;
    for (int i = 0; i < WARM_UP + MEASURED; i++) {
      if (i == WARM_UP) {
        wal0 = walPosition();
      }
      prepare.run(i);
      long p0 = primaryCounter.get();
      long r0 = replicaCounter.get();
      step.run(i);
      long p = primaryCounter.get() - p0;
      long r = replicaCounter.get() - r0;
      if (i >= WARM_UP) {
        min = Math.min(min, p + r);
        max = Math.max(max, p + r);
        total += p + r;
        primary += p;
        replica += r;
      }
    }
    double wal = walProbe == null ? Double.NaN : (double) (walPosition() - wal0) / MEASURED;
    lines.add(
        new Line(
            group,
            operation,
            (double) total / MEASURED,
            min,
            max,
            (double) primary / MEASURED,
            (double) replica / MEASURED,
            wal));
  }

  /** Bytes of WAL the primary has written so far (0 when not measured). */
  private long walPosition() throws SQLException {
    if (walProbe == null) {
      return 0;
    }
    try (Statement s = walProbe.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  public static void print(List<Line> lines, PrintStream out) {
    String group = null;
    for (Line l : lines) {
      if (!l.group().equals(group)) {
        group = l.group();
        out.printf("%n### Round trips per operation: %s%n%n", group);
        out.println(
            "| operation | round trips / op (mean) | min–max | on primary | on replica |"
                + " WAL bytes / op |");
        out.println("|---|---:|---:|---:|---:|---:|");
      }
      out.printf(
          Locale.ROOT,
          "| %s | %.2f | %d–%d | %.2f | %.2f | %s |%n",
          l.operation(),
          l.mean(),
          l.min(),
          l.max(),
          l.primary(),
          l.replica(),
          Double.isNaN(l.walBytes()) ? "—" : String.format(Locale.ROOT, "%.0f", l.walBytes()));
    }
    out.printf(
        "%n(%d measured operations each after %d unmeasured, counted under the pools by a"
            + " JDBC wrapper following PgJDBC's wire behaviour; WAL bytes from"
            + " pg_current_wal_insert_lsn() on the primary around the measured operations)%n",
        MEASURED, WARM_UP);
  }
}
