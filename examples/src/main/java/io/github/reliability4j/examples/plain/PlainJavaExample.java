package io.github.reliability4j.examples.plain;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthJson;
import io.github.reliability4j.core.health.HealthReport;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.health.ProbeWeight;
import io.github.reliability4j.core.health.RedactionLevel;
import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotentExecution;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.jdbc.routing.RoutingConfig;
import io.github.reliability4j.test.postgres.PostgresCluster;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * reliability4j in a plain Java application (no Spring), wired around the HikariCP pools it already
 * has: the routing {@code DataSource}, the idempotency engine with the JDBC store in transactional
 * mode, and background health probes. Copy the constructor and the two methods.
 *
 * <p>{@link #main} runs it against an embedded PostgreSQL primary with one streaming replica.
 */
public final class PlainJavaExample implements AutoCloseable {

  private final ReplicaRoutingDataSource db;
  private final JdbcIdempotencyStore store;
  private final Idempotency idempotency;
  private final HealthChecker health;

  /** Wires reliability4j around existing pools; the caller keeps owning (and closing) them. */
  public PlainJavaExample(HikariDataSource primaryPool, HikariDataSource replicaPool) {
    // 1. Writes to the primary, reads to the replica, read-your-writes by WAL position.
    db =
        new ReplicaRoutingDataSource(
            RoutingConfig.custom()
                .primary("primary", primaryPool)
                .replica("replica-1", replicaPool)
                .build());

    // 2. Idempotency keys in the database that holds the payments, so both commit together.
    store =
        JdbcIdempotencyStore.create(
            primaryPool, JdbcIdempotencyStoreConfig.custom().initializeSchema(true).build());
    idempotency =
        Idempotency.of(
            store, IdempotencyConfig.custom().concurrencyMode(ConcurrencyMode.WAIT).build());

    // 3. Probes run in the background; reading health never waits on a database.
    health =
        HealthChecker.builder()
            .probe(
                ProbeRegistration.builder("primary-db", ctx -> selectOne(primaryPool))
                    .measurement("responseTime")
                    .build())
            .probe(
                ProbeRegistration.builder("replica-db", ctx -> selectOne(replicaPool))
                    .measurement("responseTime")
                    .weight(ProbeWeight.DEGRADING) // reads fall back to the primary
                    .build())
            .probe(
                ProbeRegistration.builder("jvm", ctx -> ProbeResult.pass())
                    .internal() // may count for liveness: no external dependency
                    .kinds(ProbeKind.LIVENESS, ProbeKind.READINESS)
                    .build())
            .build();
    health.start();
  }

  /** A charge; {@code replayed} is true when a retry got the first attempt's answer. */
  public record Charge(long paymentId, boolean replayed) {}

  /**
   * Charges {@code account} at most once per {@code idempotencyKey}: the payment row and the key's
   * completion commit in one transaction, so a crash between them cannot charge twice. Concurrent
   * retries wait for the first and get its payment id.
   */
  public Charge charge(String idempotencyKey, String account, long amountCents)
      throws SQLException {
    IdempotencyKey key = IdempotencyKey.of("shop", "charge", idempotencyKey);
    RequestFingerprint request = RequestFingerprint.ofParts(account, Long.toString(amountCents));
    try (IdempotentExecution execution = idempotency.begin(key, request)) {
      if (execution.kind() == IdempotentExecution.Kind.REPLAY) {
        return new Charge(Long.parseLong(execution.replayedOutcome().get().bodyAsString()), true);
      }
      try (Connection c = db.getConnection()) {
        c.setAutoCommit(false);
        try {
          long id = insertPayment(c, account, amountCents);
          Optional<String> owner = execution.ownerToken(); // empty only when running fail-open
          if (owner.isPresent()) {
            store.completeInTransactionOrThrow(
                c,
                key,
                owner.get(),
                StoredOutcome.of(201, Long.toString(id).getBytes(StandardCharsets.UTF_8)),
                execution.config().getRetention());
          }
          c.commit();
          if (owner.isPresent()) {
            execution.markCompletedExternally();
          }
          return new Charge(id, false);
        } catch (SQLException | RuntimeException e) {
          c.rollback(); // and closing the execution releases the key: a retry runs again
          throw e;
        }
      }
    }
  }

  /** Writes a profile on the primary; the caller's session remembers the write's WAL position. */
  public void saveProfile(ConsistencySession session, String id, String displayName)
      throws SQLException {
    try (Consistency.Scope scope = Consistency.session(session);
        Connection c = db.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO profiles (id, display_name) VALUES (?, ?)"
                    + " ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name")) {
      ps.setString(1, id);
      ps.setString(2, displayName);
      ps.executeUpdate();
    }
  }

  /**
   * Reads a profile from the replica, or from the primary if the replica has not replayed the
   * session's writes yet. Pass {@link ConsistencySession#create()} to accept any replica's data.
   */
  public Optional<String> readProfile(ConsistencySession session, String id) throws SQLException {
    try (Consistency.Scope scope = Consistency.session(session);
        Connection c = db.getConnection()) {
      c.setReadOnly(true); // reads may go to a replica
      try (PreparedStatement ps =
          c.prepareStatement("SELECT display_name FROM profiles WHERE id = ?")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
      }
    }
  }

  /** Carries a session to another process or request, e.g. in an HTTP header. */
  public Optional<String> exportSession(ConsistencySession session) {
    return db.exportSession(session);
  }

  /** Readiness (or liveness) from the last background evaluation; never blocks. */
  public HealthReport health(ProbeKind kind) {
    return health.report(kind);
  }

  /** Evaluates every probe now (shared with concurrent callers) and reports {@code kind}. */
  public HealthReport healthNow(ProbeKind kind) {
    return health.evaluateNow().join().report(kind);
  }

  /** The number of payments of {@code account}, read on the primary. */
  public long paymentsOf(String account) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT count(*) FROM payments WHERE account = ?")) {
      ps.setString(1, account);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Waits until the router admits every replica to reads (after its first lag sample). */
  void awaitReplicasAdmitted(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!db.lagView().replicas().stream().allMatch(ReplicaStatus::admitted)) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("replicas not admitted: " + db.lagView().replicas());
      }
      Thread.sleep(50);
    }
  }

  /** Creates the example's tables (an application would use its migration tool). */
  public void createTables() throws SQLException {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS payments (id BIGSERIAL PRIMARY KEY, account TEXT NOT NULL,"
              + " amount_cents BIGINT NOT NULL)");
      s.execute(
          "CREATE TABLE IF NOT EXISTS profiles (id TEXT PRIMARY KEY, display_name TEXT NOT NULL)");
    }
  }

  private static long insertPayment(Connection c, String account, long amountCents)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO payments (account, amount_cents) VALUES (?, ?) RETURNING id")) {
      ps.setString(1, account);
      ps.setLong(2, amountCents);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static ProbeResult selectOne(DataSource pool) throws SQLException {
    long start = System.nanoTime();
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      s.setQueryTimeout(2);
      s.execute("SELECT 1");
    }
    return ProbeResult.builder(HealthStatus.PASS)
        .observed(Duration.ofNanos(System.nanoTime() - start).toMillis(), "ms")
        .build();
  }

  @Override
  public void close() {
    health.close();
    db.close();
  }

  /** Runs the example on an embedded PostgreSQL primary with one streaming replica. */
  public static void main(String[] args) throws Exception {
    try (PostgresCluster cluster = PostgresCluster.start(1)) {
      run(cluster, System.out);
    }
  }

  /** The body of {@link #main}: a retried charge, a lagging replica, a health report. */
  static void run(PostgresCluster cluster, PrintStream out) throws Exception {
    try (HikariDataSource primaryPool = pool(cluster.primary().jdbcUrl());
        HikariDataSource replicaPool = pool(cluster.replica(0).jdbcUrl());
        PlainJavaExample app = new PlainJavaExample(primaryPool, replicaPool)) {
      app.createTables();
      cluster.awaitReplicasCaughtUp(Duration.ofSeconds(30));

      String account = "alice-" + System.nanoTime();
      Charge first = app.charge("order-" + account, account, 2500);
      Charge retry = app.charge("order-" + account, account, 2500);
      out.printf(
          "charge: payment %d; retry: payment %d (replayed=%s); payments of %s: %d%n",
          first.paymentId(), retry.paymentId(), retry.replayed(), account, app.paymentsOf(account));

      // A replica takes reads once the router has sampled its lag (sample interval 500 ms).
      app.awaitReplicasAdmitted(Duration.ofSeconds(30));
      cluster.replica(0).pauseReplay(); // the replica now lags behind every new write
      try {
        ConsistencySession session = ConsistencySession.create();
        app.saveProfile(session, account, "Alice");
        out.printf(
            "read with the session: %s; without: %s%n",
            app.readProfile(session, account).orElse("(not found)"),
            app.readProfile(ConsistencySession.create(), account).orElse("(not yet on replica)"));
      } finally {
        cluster.replica(0).resumeReplay();
      }

      HealthReport readiness = app.healthNow(ProbeKind.READINESS);
      out.println(
          "readiness: " + HealthJson.ofDefaults().write(readiness, RedactionLevel.COMPONENTS));
    }
  }

  private static HikariDataSource pool(String jdbcUrl) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setMaximumPoolSize(5);
    config.setConnectionTimeout(2000);
    return new HikariDataSource(config);
  }
}
