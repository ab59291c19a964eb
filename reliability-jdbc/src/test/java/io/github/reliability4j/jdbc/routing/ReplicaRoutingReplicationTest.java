package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.CausalToken;
import io.github.reliability4j.core.routing.CausalTokenCodec;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.LsnPosition;
import io.github.reliability4j.core.routing.NodeRole;
import io.github.reliability4j.core.routing.ReadPreference;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.core.routing.RoutingOptions;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicaNode;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Routing against real streaming replicas (embedded PostgreSQL, two hot standbys). */
@ReplicatedPostgres(replicas = 2)
class ReplicaRoutingReplicationTest {

  static final byte[] KEY = "routing-test-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  static final Duration DEADLINE = Duration.ofSeconds(20);

  static final List<HikariDataSource> pools = new ArrayList<>();
  static final EventRecorder events = new EventRecorder();
  static ReplicaRoutingDataSource ds;
  static HikariDataSource primaryPool;

  @BeforeAll
  static void setUp(PostgresCluster cluster) throws Exception {
    cluster.resetReplicas();
    primaryPool = primaryPool("primary", cluster.primary().jdbcUrl());
    pools.add(primaryPool);
    RoutingConfig.Builder config =
        RoutingConfig.custom()
            .primary("primary", primaryPool)
            .tokenKey(KEY)
            .listener(events)
            .policy(
                RoutingPolicy.custom()
                    .sampleInterval(Duration.ofMillis(100))
                    // Expiry, lag bound and probe timeout only have to hold on a loaded 2-core
                    // machine: no test here relies on them excluding a replica (a stopped replica
                    // is excluded by its failed probe at once), but tests that expect a replica to
                    // serve fail if a slow sample or a stalled monitor excludes it for a moment.
                    .sampleExpiry(Duration.ofSeconds(10))
                    .maxReplicaLag(Duration.ofSeconds(10))
                    .readmitAfterSamples(3)
                    .maxCausalWait(Duration.ofMillis(100))
                    .probeTimeout(Duration.ofSeconds(5))
                    .build());
    for (ReplicaNode r : cluster.replicas()) {
      HikariDataSource rp = pool(r.name(), r.jdbcUrl());
      pools.add(rp);
      config.replica(r.name(), rp);
    }
    ds = new ReplicaRoutingDataSource(config.build());
    try (Connection c = cluster.primary().dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS routing_rows (id bigint PRIMARY KEY, v bigint)");
    }
    cluster.awaitReplicasCaughtUp(DEADLINE);
  }

  /**
   * A replica pool: a short connection timeout, so that reads fail over quickly from a stopped
   * replica (a timeout here only makes a read fall back, never fail).
   */
  static HikariDataSource pool(String name, String url) {
    return pool(name, url, 1000);
  }

  /**
   * The primary's pool: nothing falls back from it, so a new connection that a loaded machine is
   * slow to open must not fail a test's write.
   */
  static HikariDataSource primaryPool(String name, String url) {
    return pool(name, url, 30_000);
  }

  private static HikariDataSource pool(String name, String url, long connectionTimeoutMillis) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    hc.setPoolName("routing-test-" + name);
    hc.setMaximumPoolSize(6);
    hc.setMinimumIdle(0);
    hc.setConnectionTimeout(connectionTimeoutMillis);
    hc.setValidationTimeout(250);
    hc.setInitializationFailTimeout(-1);
    return new HikariDataSource(hc);
  }

  @AfterAll
  static void tearDown() {
    if (ds != null) {
      ds.close();
    }
    pools.forEach(HikariDataSource::close);
    pools.clear();
  }

  @BeforeEach
  void reset(PostgresCluster cluster) {
    cluster.resetReplicas();
    events.clear();
    awaitTrue(
        "all replicas admitted",
        () -> ds.lagView().replicas().stream().allMatch(ReplicaStatus::admitted));
  }

  // ---------------------------------------------------------------- helpers

  record Read(Long value, boolean inRecovery, int port) {}

  static final AtomicLong IDS = new AtomicLong(System.nanoTime() & 0xFFFFFFFL);

  static void write(long id, long v) throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      upsert(c, id, v);
      c.commit();
    }
  }

  static void upsert(Connection c, long id, long v) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO routing_rows (id, v) VALUES (?, ?)"
                + " ON CONFLICT (id) DO UPDATE SET v = excluded.v")) {
      ps.setLong(1, id);
      ps.setLong(2, v);
      ps.executeUpdate();
    }
  }

  static Read read(DataSource source, long id) throws SQLException {
    try (Connection c = source.getConnection()) {
      c.setReadOnly(true);
      return readOn(c, id);
    }
  }

  static Read readOn(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT (SELECT v FROM routing_rows WHERE id = ?), pg_is_in_recovery(),"
                + " inet_server_port()")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long v = rs.getLong(1);
        return new Read(rs.wasNull() ? null : v, rs.getBoolean(2), rs.getInt(3));
      }
    }
  }

  static void awaitTrue(String what, BooleanSupplier condition) {
    RoutingScenarios.awaitTrue(ds, DEADLINE, what, condition);
  }

  // ---------------------------------------------------------------- read-your-writes

  @Test
  void readYourWritesWithReplayPausedEverywhereNeverReadsStale(PostgresCluster cluster)
      throws Exception {
    cluster.replicas().forEach(ReplicaNode::pauseReplay);
    Counts counts = hammer(4, 25);
    assertThat(counts.stale.get()).as("stale reads").isZero();
    assertThat(counts.errors).as("errors").isEmpty();
    assertThat(counts.byReplica.get()).as("reads served by a (paused) replica").isZero();
    assertThat(counts.reads.get()).isEqualTo(100);

    // After resume, the same session's reads go back to the replicas.
    ConsistencySession session = ConsistencySession.create();
    long id = IDS.incrementAndGet();
    try (Consistency.Scope s = Consistency.session(session)) {
      write(id, 7);
    }
    cluster.replicas().forEach(ReplicaNode::resumeReplay);
    cluster.awaitReplicasCaughtUp(DEADLINE);
    awaitTrue(
        "a replica serves the session's read after resume",
        () -> {
          try (Consistency.Scope s = Consistency.session(session)) {
            Read r = read(ds, id);
            assertThat(r.value()).isEqualTo(7L);
            return r.inRecovery();
          } catch (SQLException e) {
            throw new AssertionError(e);
          }
        });
  }

  @Test
  void readYourWritesWithStreamingReplicasUsesThemAndNeverReadsStale(PostgresCluster cluster)
      throws Exception {
    // One replica lags for good; the other streams. Reads must never see the lagging one's data.
    cluster.replica(1).pauseReplay();
    // The class-wide 100 ms causal wait is too short to rely on the streaming replica replaying
    // within it on a loaded machine; a read that gives up falls back to the primary (never stale,
    // but then no read might reach the replica). Waits normally end within milliseconds.
    Counts counts =
        hammer(4, 40, RoutingOptions.custom().maxCausalWait(Duration.ofSeconds(1)).build());
    assertThat(counts.stale.get()).as("stale reads").isZero();
    assertThat(counts.errors).as("errors").isEmpty();
    assertThat(counts.byReplica.get()).as("reads served by the streaming replica").isPositive();
  }

  static final class Counts {
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger stale = new AtomicInteger();
    final AtomicInteger byReplica = new AtomicInteger();
    final List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
  }

  /**
   * Each thread: its own session; write a new value, then read it back through a new connection.
   */
  static Counts hammer(int threads, int iterations) throws Exception {
    return hammer(threads, iterations, RoutingOptions.none());
  }

  static Counts hammer(int threads, int iterations, RoutingOptions options) throws Exception {
    Counts counts = new Counts();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long id = IDS.incrementAndGet();
        futures.add(
            pool.submit(
                () -> {
                  try (Consistency.Scope s = Consistency.session();
                      Consistency.Scope o = Consistency.options(options)) {
                    for (int i = 1; i <= iterations; i++) {
                      write(id, i);
                      Read r = read(ds, id);
                      counts.reads.incrementAndGet();
                      if (r.value() == null || r.value() != i) {
                        counts.stale.incrementAndGet();
                      }
                      if (r.inRecovery()) {
                        counts.byReplica.incrementAndGet();
                      }
                    }
                  } catch (Throwable e) {
                    counts.errors.add(e);
                  }
                }));
      }
      for (Future<?> f : futures) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    return counts;
  }

  @Test
  void sessionWithoutWritesReadsReplicasAndCanSeeStaleData(PostgresCluster cluster)
      throws Exception {
    cluster.replicas().forEach(ReplicaNode::pauseReplay);
    long id = IDS.incrementAndGet();
    try (Consistency.Scope s = Consistency.session()) {
      write(id, 1);
    }
    try (Consistency.Scope s = Consistency.session()) {
      Read r = read(ds, id);
      assertThat(r.inRecovery()).as("served by a replica").isTrue();
      assertThat(r.value()).as("the paused replica has not replayed the write").isNull();
    }
    assertThat(events.routes)
        .anyMatch(d -> d.role() == NodeRole.REPLICA && d.fallback() == null && !d.write());
  }

  @Test
  void sessionTravelsAsAnExportedTokenToAnotherInstance(PostgresCluster cluster) throws Exception {
    cluster.replicas().forEach(ReplicaNode::pauseReplay);
    long id = IDS.incrementAndGet();
    ConsistencySession writer = ConsistencySession.create();
    try (Consistency.Scope s = Consistency.session(writer)) {
      write(id, 42);
    }
    String exported = ds.exportSession(writer).orElseThrow();
    // "Another instance": a second routing data source over the same pools and key.
    try (ReplicaRoutingDataSource other = secondInstance(cluster)) {
      ConsistencySession reader = other.importSession(exported);
      try (Consistency.Scope s = Consistency.session(reader)) {
        Read r = read(other, id);
        assertThat(r.value()).isEqualTo(42L);
        assertThat(r.inRecovery()).isFalse();
      }
    }
  }

  private static ReplicaRoutingDataSource secondInstance(PostgresCluster cluster) {
    RoutingConfig.Builder b =
        RoutingConfig.custom().primary("primary", primaryPool).tokenKey(KEY).monitor(false);
    int i = 1;
    for (HikariDataSource p : pools.subList(1, pools.size())) {
      b.replica("replica-" + i++, p);
    }
    return new ReplicaRoutingDataSource(b.build());
  }

  // ---------------------------------------------------------------- bounded staleness

  @Test
  void boundedStalenessIsHonouredAgainstADelayedReplica(PostgresCluster cluster) throws Exception {
    Duration bound = Duration.ofMillis(300);
    cluster.replica(1).pauseReplay();
    cluster.replica(0).setApplyDelay(Duration.ofSeconds(1));
    long id = IDS.incrementAndGet();
    try (Connection c = cluster.primary().dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.executeUpdate("INSERT INTO routing_rows VALUES (" + id + ", 5)");
    }
    Instant committed = Instant.now();
    assertThat(read(cluster.replica(0).dataSource(), id).value())
        .as("the delayed replica really is behind")
        .isNull();

    List<String> violations = new ArrayList<>();
    AtomicBoolean replicaServedFresh = new AtomicBoolean();
    AtomicInteger replicaReads = new AtomicInteger();
    awaitTrue(
        "a replica serves the row within the bound",
        () -> {
          Instant start = Instant.now();
          Read r;
          try (Consistency.Scope s = Consistency.session();
              Consistency.Scope o = Consistency.options(ConsistencyLevel.boundedStaleness(bound))) {
            r = read(ds, id);
          } catch (SQLException e) {
            throw new AssertionError(e);
          }
          if (r.inRecovery()) {
            replicaReads.incrementAndGet();
          }
          if (Duration.between(committed, start).compareTo(bound) > 0 && r.value() == null) {
            violations.add(
                "read started " + Duration.between(committed, start) + " after commit saw nothing");
          }
          replicaServedFresh.set(r.inRecovery() && r.value() != null);
          return replicaServedFresh.get();
        });
    assertThat(violations).isEmpty();
    assertThat(replicaReads.get()).isPositive();
  }

  // ---------------------------------------------------------------- replica failure

  @Test
  void replicaStoppedMidLoadIsExcludedQuicklyAndReadmittedAfterRestart(PostgresCluster cluster)
      throws Exception {
    ReplicaNode victim = cluster.replica(1);
    RoutingScenarios.replicaStoppedMidLoadIsExcludedAndReadmitted(
        ds,
        events,
        DEADLINE,
        victim.name(),
        victim.port(),
        () -> read(ds, 1).port(),
        victim::stop,
        victim::start);
  }

  // ---------------------------------------------------------------- writes, tokens

  @Test
  void writeThroughReadOnlyRoutedConnectionFailsClearly() throws Exception {
    try (Consistency.Scope s = Consistency.session();
        Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      try (Statement st = c.createStatement()) {
        assertThatThrownBy(() -> st.executeUpdate("INSERT INTO routing_rows VALUES (-1, -1)"))
            .isInstanceOf(SQLException.class)
            .hasMessageContaining("read-only transaction");
      }
      assertThat(c.unwrap(RoutedConnection.class).routeDecision().orElseThrow().role())
          .isEqualTo(NodeRole.REPLICA);
    }
  }

  @Test
  void explicitReadPreferenceRoutesAnAutoCommitConnectionToAReplica() throws Exception {
    try (Consistency.Scope s = Consistency.session();
        Consistency.Scope o = Consistency.options(ReadPreference.REPLICA);
        Connection c = ds.getConnection()) {
      assertThat(readOn(c, 1).inRecovery()).isTrue();
    }
  }

  @Test
  void garbageTokenGoesToThePrimaryWithAnEvent() throws Exception {
    ConsistencySession session = ds.importSession("r4j1.bm90IGEgdG9rZW4.c2lnbmF0dXJl");
    try (Consistency.Scope s = Consistency.session(session)) {
      assertThat(read(ds, 1).inRecovery()).isFalse();
    }
    assertThat(events.rejections).containsExactly(CausalTokenCodec.Rejection.BAD_SIGNATURE);
    assertThat(events.fallbacks).contains(FallbackReason.UNTRUSTED_TOKEN);
  }

  @Test
  void tokenOfAnotherClusterGoesToThePrimaryWithAnEvent() throws Exception {
    CausalTokenCodec foreign =
        new CausalTokenCodec(KEY, "424242", "postgresql", LsnPosition::parse, null);
    ConsistencySession elsewhere = ConsistencySession.create();
    elsewhere.advance(new CausalToken("424242", LsnPosition.parse("0/1")));
    ConsistencySession session = ds.importSession(foreign.export(elsewhere).orElseThrow());
    try (Consistency.Scope s = Consistency.session(session)) {
      assertThat(read(ds, 1).inRecovery()).isFalse();
    }
    assertThat(events.rejections).containsExactly(CausalTokenCodec.Rejection.FOREIGN_CLUSTER);
  }

  // ---------------------------------------------------------------- transactions

  @Test
  void readWriteTransactionWithLeadingReadsStaysOnThePrimary() throws Exception {
    long id = IDS.incrementAndGet();
    try (Consistency.Scope s = Consistency.session();
        Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      assertThat(readOn(c, id).inRecovery()).isFalse();
      try (Statement st = c.createStatement()) {
        st.executeUpdate("INSERT INTO routing_rows VALUES (" + id + ", 1)");
      }
      assertThat(readOn(c, id).value()).isEqualTo(1L);
      c.rollback();
      assertThat(readOn(c, id).value()).isNull();
      c.commit();
    }
  }

  @Test
  void readOnlyTransactionUsesOneReplicaThroughout() throws Exception {
    try (Consistency.Scope s = Consistency.session();
        Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      c.setAutoCommit(false);
      Read first = readOn(c, 1);
      assertThat(first.inRecovery()).isTrue();
      for (int i = 0; i < 5; i++) {
        assertThat(readOn(c, 1).port()).isEqualTo(first.port());
      }
      assertThatThrownBy(() -> c.setReadOnly(false))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("middle of a transaction");
      c.commit();
    }
  }

  @Test
  void wrapperAndLifecycleBehaveLikeTheUnderlyingConnection() throws Exception {
    Connection c = ds.getConnection();
    assertThat(c.isWrapperFor(RoutedConnection.class)).isTrue();
    assertThat(c.unwrap(RoutedConnection.class).routeDecision()).isEmpty();
    assertThat(c.getAutoCommit()).isTrue();
    assertThat(c.isWrapperFor(org.postgresql.PGConnection.class)).isTrue();
    assertThat(c.unwrap(org.postgresql.PGConnection.class)).isNotNull();
    assertThatThrownBy(() -> c.unwrap(java.util.List.class)).isInstanceOf(SQLException.class);
    try (Statement st = c.createStatement()) {
      assertThat(st.getConnection()).isSameAs(c);
      assertThat(st.isWrapperFor(Statement.class)).isTrue();
    }
    assertThatThrownBy(c::commit)
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("autoCommit");
    c.close();
    c.close();
    assertThat(c.isClosed()).isTrue();
    assertThatThrownBy(c::createStatement).hasMessage("Connection is closed");
    assertThatThrownBy(() -> c.setAutoCommit(false)).hasMessage("Connection is closed");
  }

  @Test
  void lagViewReportsSamplesForEveryReplica() {
    List<ReplicaStatus> replicas = ds.lagView().replicas();
    assertThat(replicas).hasSize(2);
    for (ReplicaStatus r : replicas) {
      assertThat(r.lastSample()).isNotNull();
      assertThat(r.lastSample().isKnown()).isTrue();
      assertThat(r.lastSample().lagBytes()).isGreaterThanOrEqualTo(0);
      assertThat(r.circuitBreakerState()).isEqualTo("CLOSED");
    }
  }

  @Test
  void healthLagProbeReadsTheRoutingMonitor(PostgresCluster cluster) throws Exception {
    ReplicaNode victim = cluster.replica(0);
    RoutingScenarios.healthLagProbeReadsTheRoutingMonitor(
        ds, DEADLINE, victim.name(), victim::stop);
  }

  // ---------------------------------------------------------------- configuration errors

  @Test
  void replicaThatIsAPrimaryIsRejectedAtStart(PostgresCluster cluster) {
    RoutingConfig config =
        RoutingConfig.custom()
            .primary("primary", primaryPool)
            .replica("not-a-replica", cluster.primary().dataSource())
            .monitor(false)
            .build();
    assertThatThrownBy(() -> new ReplicaRoutingDataSource(config))
        .isInstanceOf(RoutingConfigurationException.class)
        .hasMessageContaining("replica 'not-a-replica' is not in recovery (pg_is_in_recovery()")
        .extracting(e -> ((RoutingConfigurationException) e).getNode())
        .isEqualTo("not-a-replica");
  }

  @Test
  void primaryInRecoveryIsRejectedAtStart(PostgresCluster cluster) {
    RoutingConfig config =
        RoutingConfig.custom()
            .primary("standby", cluster.replica(0).dataSource())
            .monitor(false)
            .build();
    assertThatThrownBy(() -> new ReplicaRoutingDataSource(config))
        .isInstanceOf(RoutingConfigurationException.class)
        .hasMessageContaining("primary 'standby' is in recovery");
  }

  @Test
  void sameServerConfiguredTwiceIsRejectedAtStart(PostgresCluster cluster) {
    RoutingConfig config =
        RoutingConfig.custom()
            .primary("primary", primaryPool)
            .replica("a", cluster.replica(0).dataSource())
            .replica("b", pools.get(1))
            .monitor(false)
            .build();
    assertThatThrownBy(() -> new ReplicaRoutingDataSource(config))
        .isInstanceOf(RoutingConfigurationException.class)
        .hasMessageContaining("duplicate node: 'b' and 'a' are the same server");
  }

  @Test
  void builderRejectsMissingPrimaryAndDuplicates() {
    assertThatThrownBy(() -> RoutingConfig.custom().replica("r", primaryPool).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no primary configured");
    assertThatThrownBy(
            () -> RoutingConfig.custom().primary("p", primaryPool).replica("r", primaryPool))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'r' uses the same DataSource as primary 'p'");
    assertThatThrownBy(
            () -> RoutingConfig.custom().primary("p", primaryPool).replica("p", pools.get(1)))
        .hasMessage("duplicate node name 'p'");
  }
}
