package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.CausalTokenCodec;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.GtidPosition;
import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.NodeRole;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.core.routing.RoutingOptions;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.test.mariadb.MariaDbCluster;
import io.github.reliability4j.test.mariadb.MariaDbClusterConfig;
import io.github.reliability4j.test.mariadb.MariaDbReplica;
import io.github.reliability4j.test.mariadb.ReplicatedMariaDb;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Routing against real MariaDB GTID replication (a local primary and two replicas started by the
 * test kit from the machine's mariadbd): the PostgreSQL acceptance tests, on MariaDB.
 */
@ReplicatedMariaDb(replicas = 2)
class MariaDbReplicaRoutingReplicationTest {

  static final byte[] KEY = "routing-test-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  static final Duration DEADLINE = Duration.ofSeconds(30);
  static final String TABLE = "routing_rows_" + Math.abs(ThreadLocalRandom.current().nextInt());

  static final List<HikariDataSource> pools = new ArrayList<>();
  static final EventRecorder events = new EventRecorder();
  static ReplicaRoutingDataSource ds;
  static HikariDataSource primaryPool;
  static int primaryServerId;

  @BeforeAll
  static void setUp(MariaDbCluster cluster) throws Exception {
    primaryServerId = cluster.primary().serverId();
    primaryPool =
        ReplicaRoutingReplicationTest.primaryPool("m-primary", cluster.primary().jdbcUrl());
    pools.add(primaryPool);
    RoutingConfig.Builder config =
        RoutingConfig.custom()
            .primary("primary", primaryPool)
            .tokenKey(KEY)
            .listener(events)
            .policy(policy());
    for (MariaDbReplica r : cluster.replicas()) {
      HikariDataSource rp = ReplicaRoutingReplicationTest.pool("m-" + r.name(), r.jdbcUrl());
      pools.add(rp);
      config.replica(r.name(), rp);
    }
    ds = new ReplicaRoutingDataSource(config.build());
    try (Connection c = cluster.primary().dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (id BIGINT PRIMARY KEY, v BIGINT)");
    }
    cluster.awaitReplicasCaughtUp(DEADLINE);
  }

  /** As the PostgreSQL tests: generous bounds for a loaded 2-core machine. */
  static RoutingPolicy policy() {
    return RoutingPolicy.custom()
        .sampleInterval(Duration.ofMillis(100))
        .sampleExpiry(Duration.ofSeconds(10))
        .maxReplicaLag(Duration.ofSeconds(10))
        .readmitAfterSamples(3)
        .maxCausalWait(Duration.ofMillis(100))
        .probeTimeout(Duration.ofSeconds(5))
        .build();
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
  void reset(MariaDbCluster cluster) {
    cluster.resetReplicas();
    events.clear();
    awaitTrue(
        "all replicas admitted",
        () -> ds.lagView().replicas().stream().allMatch(ReplicaStatus::admitted));
  }

  // ---------------------------------------------------------------- helpers

  record Read(Long value, boolean fromReplica, int port) {}

  static final AtomicLong IDS = new AtomicLong(System.nanoTime() & 0xFFFFFFFL);

  static void write(DataSource source, long id, long v) throws SQLException {
    try (Connection c = source.getConnection()) {
      c.setAutoCommit(false);
      upsert(c, id, v);
      c.commit();
    }
  }

  static void upsert(Connection c, long id, long v) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO "
                + TABLE
                + " (id, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)")) {
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
            "SELECT (SELECT v FROM " + TABLE + " WHERE id = ?), @@server_id, @@port")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long v = rs.getLong(1);
        return new Read(rs.wasNull() ? null : v, rs.getInt(2) != primaryServerId, rs.getInt(3));
      }
    }
  }

  static void awaitTrue(String what, BooleanSupplier condition) {
    RoutingScenarios.awaitTrue(ds, DEADLINE, what, condition);
  }

  /**
   * Each thread has its own session: write a new value through one logical (pooled) connection,
   * then read it back through another.
   */
  static ReplicaRoutingReplicationTest.Counts hammer(
      int threads, int iterations, RoutingOptions options) throws Exception {
    ReplicaRoutingReplicationTest.Counts counts = new ReplicaRoutingReplicationTest.Counts();
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
                      write(ds, id, i);
                      Read r = read(ds, id);
                      counts.reads.incrementAndGet();
                      if (r.value() == null || r.value() != i) {
                        counts.stale.incrementAndGet();
                      }
                      if (r.fromReplica()) {
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

  // ---------------------------------------------------------------- read-your-writes

  @Test
  void readYourWritesWithReplicationStoppedEverywhereNeverReadsStale(MariaDbCluster cluster)
      throws Exception {
    cluster.replicas().forEach(MariaDbReplica::stopReplication);
    ReplicaRoutingReplicationTest.Counts counts = hammer(4, 25, RoutingOptions.none());
    assertThat(counts.errors).as("errors").isEmpty();
    assertThat(counts.stale.get()).as("stale reads").isZero();
    assertThat(counts.byReplica.get()).as("reads served by a stopped replica").isZero();
    assertThat(counts.reads.get()).isEqualTo(100);
    assertThat(events.fallbacks).contains(FallbackReason.TOKEN_NOT_COVERED);
    assertThat(events.waits).as("MASTER_GTID_WAIT timed out").contains(false);

    // Once replication runs again, the same session's reads go back to the replicas.
    ConsistencySession session = ConsistencySession.create();
    long id = IDS.incrementAndGet();
    try (Consistency.Scope s = Consistency.session(session)) {
      write(ds, id, 7);
    }
    cluster.replicas().forEach(MariaDbReplica::startReplication);
    cluster.awaitReplicasCaughtUp(DEADLINE);
    awaitTrue(
        "a replica serves the session's read after replication restarts",
        () -> {
          try (Consistency.Scope s = Consistency.session(session)) {
            Read r = read(ds, id);
            assertThat(r.value()).isEqualTo(7L);
            return r.fromReplica();
          } catch (SQLException e) {
            throw new AssertionError(e);
          }
        });
  }

  @Test
  void readYourWritesWithOneReplicaApplyingUsesItAndNeverReadsStale(MariaDbCluster cluster)
      throws Exception {
    cluster.replica(1).stopReplication();
    ReplicaRoutingReplicationTest.Counts counts =
        hammer(4, 40, RoutingOptions.custom().maxCausalWait(Duration.ofSeconds(1)).build());
    assertThat(counts.errors).as("errors").isEmpty();
    assertThat(counts.stale.get()).as("stale reads").isZero();
    assertThat(counts.byReplica.get()).as("reads served by the applying replica").isPositive();
    assertThat(events.waits).as("MASTER_GTID_WAIT covered the token").contains(true);
  }

  @Test
  void sessionWithoutWritesReadsReplicasAndCanSeeStaleData(MariaDbCluster cluster)
      throws Exception {
    cluster.replicas().forEach(MariaDbReplica::stopReplication);
    long id = IDS.incrementAndGet();
    try (Consistency.Scope s = Consistency.session()) {
      write(ds, id, 1);
    }
    try (Consistency.Scope s = Consistency.session()) {
      Read r = read(ds, id);
      assertThat(r.fromReplica()).as("served by a replica").isTrue();
      assertThat(r.value()).as("the stopped replica has not applied the write").isNull();
    }
  }

  @Test
  void sessionTravelsAsAnExportedTokenToAnotherInstance(MariaDbCluster cluster) throws Exception {
    cluster.replicas().forEach(MariaDbReplica::stopReplication);
    long id = IDS.incrementAndGet();
    ConsistencySession writer = ConsistencySession.create();
    try (Consistency.Scope s = Consistency.session(writer)) {
      write(ds, id, 42);
    }
    String exported = ds.exportSession(writer).orElseThrow();
    // The next request on this instance: admitted but stopped replicas do not cover the token.
    events.clear();
    try (Consistency.Scope s = Consistency.session(ds.importSession(exported))) {
      assertThat(read(ds, id))
          .extracting(Read::value, Read::fromReplica)
          .containsExactly(42L, false);
    }
    assertThat(events.rejections).isEmpty();
    assertThat(events.fallbacks).containsExactly(FallbackReason.TOKEN_NOT_COVERED);
    // "Another instance": a second routing data source over the same pools and key.
    try (ReplicaRoutingDataSource other = secondInstance()) {
      assertThat(other.clusterId()).isEqualTo(ds.clusterId()).isEqualTo("mariadb:server_id=1");
      ConsistencySession reader = other.importSession(exported);
      assertThat(reader.token(other.clusterId())).isEqualTo(writer.token(ds.clusterId()));
      try (Consistency.Scope s = Consistency.session(reader)) {
        Read r = read(other, id);
        assertThat(r.value()).isEqualTo(42L);
        assertThat(r.fromReplica()).isFalse();
      }
    }
  }

  private static ReplicaRoutingDataSource secondInstance() {
    RoutingConfig.Builder b =
        RoutingConfig.custom().primary("primary", primaryPool).tokenKey(KEY).monitor(false);
    int i = 1;
    for (HikariDataSource p : pools.subList(1, pools.size())) {
      b.replica("replica-" + i++, p);
    }
    return new ReplicaRoutingDataSource(b.build());
  }

  @Test
  void tokenMissingADomainIsNotCoveredByAReplicaAheadInTheOtherDomain(MariaDbCluster cluster)
      throws Exception {
    long id = IDS.incrementAndGet();
    ConsistencySession session = ConsistencySession.create();
    try (Consistency.Scope s = Consistency.session(session)) {
      write(ds, id, 1);
    }
    cluster.awaitReplicasCaughtUp(DEADLINE);
    cluster.replicas().forEach(MariaDbReplica::stopReplication);
    long otherId = IDS.incrementAndGet();
    int domain = 70 + ThreadLocalRandom.current().nextInt(1000);
    try (Consistency.Scope s = Consistency.session(session);
        Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute("SET SESSION gtid_domain_id = " + domain);
      upsert(c, otherId, 1);
      st.execute("SET SESSION gtid_domain_id = 0");
    }
    GtidPosition token = (GtidPosition) session.token(ds.clusterId()).orElseThrow().position();
    assertThat(token.domains()).containsKeys(0L, (long) domain);
    ds.sampleNow();
    // Every replica has row `id` and is at or past the token in domain 0, but lacks the new domain.
    for (ReplicaStatus r : ds.lagView().replicas()) {
      GtidPosition known = (GtidPosition) r.knownPosition();
      assertThat(known.domains()).doesNotContainKey((long) domain);
      assertThat(known.domains().get(0L).sequence())
          .isGreaterThanOrEqualTo(token.domains().get(0L).sequence());
    }
    events.clear();
    try (Consistency.Scope s = Consistency.session(session)) {
      Read r = read(ds, id);
      assertThat(r.value()).isEqualTo(1L);
      assertThat(r.fromReplica()).as("a replica missing a domain does not cover").isFalse();
    }
    assertThat(events.fallbacks).containsExactly(FallbackReason.TOKEN_NOT_COVERED);

    cluster.replicas().forEach(MariaDbReplica::startReplication);
    cluster.awaitReplicasCaughtUp(DEADLINE);
    awaitTrue(
        "a replica that has both domains serves the session",
        () -> {
          try (Consistency.Scope s = Consistency.session(session)) {
            Read r = read(ds, otherId);
            assertThat(r.value()).isEqualTo(1L);
            return r.fromReplica();
          } catch (SQLException e) {
            throw new AssertionError(e);
          }
        });
  }

  // ---------------------------------------------------------------- bounded staleness

  @Test
  void boundedStalenessIsHonouredAgainstADelayedReplica(MariaDbCluster cluster) throws Exception {
    Duration bound = Duration.ofMillis(300);
    cluster.replica(1).stopReplication();
    cluster.replica(0).setApplyDelay(Duration.ofSeconds(1));
    long id = IDS.incrementAndGet();
    write(cluster.primary().dataSource(), id, 5);
    Instant committed = Instant.now();
    assertThat(read(cluster.replica(0).dataSource(), id).value())
        .as("the delayed replica really is behind")
        .isNull();

    List<String> violations = new ArrayList<>();
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
          if (r.fromReplica()) {
            replicaReads.incrementAndGet();
          }
          if (Duration.between(committed, start).compareTo(bound) > 0 && r.value() == null) {
            violations.add(
                "read started " + Duration.between(committed, start) + " after commit saw nothing");
          }
          return r.fromReplica() && r.value() != null;
        });
    assertThat(violations).isEmpty();
    assertThat(replicaReads.get()).isPositive();
  }

  // ---------------------------------------------------------------- replica failure

  @Test
  void replicaStoppedMidLoadIsExcludedQuicklyAndReadmittedAfterRestart(MariaDbCluster cluster)
      throws Exception {
    MariaDbReplica victim = cluster.replica(1);
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

  @Test
  void allReplicasDownFallsBackToThePrimary(MariaDbCluster cluster) throws Exception {
    cluster.replicas().forEach(MariaDbReplica::stop);
    awaitTrue(
        "replicas excluded",
        () -> ds.lagView().replicas().stream().noneMatch(ReplicaStatus::admitted));
    long id = IDS.incrementAndGet();
    try (Consistency.Scope s = Consistency.session()) {
      write(ds, id, 3);
      assertThat(read(ds, id))
          .extracting(Read::value, Read::fromReplica)
          .containsExactly(3L, false);
    }
    try (Consistency.Scope s = Consistency.session()) {
      assertThat(read(ds, id).fromReplica()).isFalse();
    }
    assertThat(events.fallbacks).contains(FallbackReason.NO_ELIGIBLE_REPLICA);
  }

  // ---------------------------------------------------------------- tokens

  @Test
  void garbageTokenGoesToThePrimaryWithAnEvent() throws Exception {
    ConsistencySession session = ds.importSession("r4j1.bm90IGEgdG9rZW4.c2lnbmF0dXJl");
    try (Consistency.Scope s = Consistency.session(session)) {
      assertThat(read(ds, 1).fromReplica()).isFalse();
    }
    assertThat(events.rejections).containsExactly(CausalTokenCodec.Rejection.BAD_SIGNATURE);
    assertThat(events.fallbacks).contains(FallbackReason.UNTRUSTED_TOKEN);
  }

  @Test
  void tamperedPositionInAValidlyFramedTokenIsRejected() throws Exception {
    CausalTokenCodec sameKeyWrongDialect =
        new CausalTokenCodec(KEY, ds.clusterId(), "postgresql", GtidPosition::parse, null);
    ConsistencySession elsewhere = ConsistencySession.create();
    elsewhere.advance(
        new io.github.reliability4j.core.routing.CausalToken(
            ds.clusterId(), GtidPosition.parse("0-1-1")));
    ConsistencySession session =
        ds.importSession(sameKeyWrongDialect.export(elsewhere).orElseThrow());
    try (Consistency.Scope s = Consistency.session(session)) {
      assertThat(read(ds, 1).fromReplica()).isFalse();
    }
    assertThat(events.rejections).containsExactly(CausalTokenCodec.Rejection.FOREIGN_DIALECT);
  }

  // ---------------------------------------------------------------- monitoring and start-up

  @Test
  void lagViewReportsGtidPositionsForEveryReplica() {
    ds.sampleNow();
    for (ReplicaStatus r : ds.lagView().replicas()) {
      assertThat(r.lastSample().isKnown()).as(r.name()).isTrue();
      assertThat(r.lastSample().lagBytes())
          .as("0 when caught up, else unknown: bytes are not measurable with GTIDs")
          .isIn(0L, -1L);
      assertThat(r.knownPosition()).isInstanceOf(GtidPosition.class);
    }
  }

  @Test
  void healthLagProbeReadsTheRoutingMonitor(MariaDbCluster cluster) throws Exception {
    MariaDbReplica victim = cluster.replica(0);
    RoutingScenarios.healthLagProbeReadsTheRoutingMonitor(
        ds, DEADLINE, victim.name(), victim::stop);
  }

  @Test
  void replicaThatIsAPrimaryIsRejectedAtStart(MariaDbCluster cluster) {
    RoutingConfig config =
        RoutingConfig.custom()
            .primary("primary", primaryPool)
            .replica("not-a-replica", cluster.primary().dataSource())
            .monitor(false)
            .build();
    assertThatThrownBy(() -> new ReplicaRoutingDataSource(config))
        .isInstanceOf(RoutingConfigurationException.class)
        .hasMessageContaining("replica 'not-a-replica' is not in recovery (a SHOW SLAVE STATUS row")
        .extracting(e -> ((RoutingConfigurationException) e).getNode())
        .isEqualTo("not-a-replica");
  }

  @Test
  void primaryThatIsAReplicaIsRejectedAtStart(MariaDbCluster cluster) {
    RoutingConfig config =
        RoutingConfig.custom()
            .primary("replica", cluster.replica(0).dataSource())
            .monitor(false)
            .build();
    assertThatThrownBy(() -> new ReplicaRoutingDataSource(config))
        .isInstanceOf(RoutingConfigurationException.class)
        .hasMessageContaining("primary 'replica' is in recovery");
  }

  @Test
  void sameServerConfiguredTwiceIsRejectedAtStart(MariaDbCluster cluster) {
    RoutingConfig config =
        RoutingConfig.custom()
            .primary("primary", primaryPool)
            .replica("a", cluster.replica(0).dataSource())
            .replica("b", pools.get(1))
            .monitor(false)
            .build();
    assertThatThrownBy(() -> new ReplicaRoutingDataSource(config))
        .isInstanceOf(RoutingConfigurationException.class)
        .hasMessageContaining("duplicate node: 'b' and 'a' are the same server server_id=");
  }

  @Test
  void mySqlReplicaOfAMariaDbPrimaryIsRejectedAtStart() {
    RoutingConfig config =
        RoutingConfig.custom()
            .primary("primary", primaryPool)
            .replica("mysql", MySqlNotSupportedTest.mysql("jdbc:mysql://db-ro:3306/app"))
            .monitor(false)
            .build();
    assertThatThrownBy(() -> new ReplicaRoutingDataSource(config))
        .isInstanceOf(RoutingConfigurationException.class)
        .hasMessageContaining("replica 'mysql': MariaDbReplicationDialect needs MariaDB")
        .hasMessageContaining("is MySQL 8.0.36");
  }

  @Test
  void replicaOfAnotherPrimaryIsRejectedAtStartAndAReplicaThatStopsReplicatingIsExcluded(
      MariaDbCluster cluster) throws Exception {
    try (MariaDbCluster other =
        MariaDbCluster.start(
            MariaDbClusterConfig.custom().replicas(1).firstServerId(100).build())) {
      RoutingConfig wrong =
          RoutingConfig.custom()
              .primary("primary", primaryPool)
              .replica("foreign", other.replica(0).dataSource())
              .monitor(false)
              .build();
      assertThatThrownBy(() -> new ReplicaRoutingDataSource(wrong))
          .isInstanceOf(RoutingConfigurationException.class)
          .hasMessageContaining(
              "replica 'foreign' belongs to cluster mariadb:server_id=100, but primary 'primary'"
                  + " to cluster mariadb:server_id=1");

      // A replica that is re-configured after start fails its next sample and gets no reads.
      EventRecorder otherEvents = new EventRecorder();
      try (ReplicaRoutingDataSource routed =
          new ReplicaRoutingDataSource(
              RoutingConfig.custom()
                  .primary("p", other.primary().dataSource())
                  .replica("r", other.replica(0).dataSource())
                  .listener(otherEvents)
                  .monitor(false)
                  .build())) {
        assertThat(routed.lagView().replica("r").orElseThrow().admitted()).isTrue();
        // Re-pointed at this class's primary (server_id 1): excluded on the next sample.
        try (Connection c = other.replica(0).dataSource().getConnection();
            Statement s = c.createStatement()) {
          s.execute("STOP SLAVE");
          s.execute(
              "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT="
                  + cluster.primary().port()
                  + ", MASTER_USER='root', MASTER_PASSWORD=''");
          s.execute("START SLAVE IO_THREAD");
        }
        awaitTrue(
            "the re-pointed replica fails its sample",
            () -> {
              routed.sampleNow();
              LagSample last = routed.lagView().replica("r").orElseThrow().lastSample();
              return last.error() != null
                  && last.error().getMessage().contains("replicates from server_id=1");
            });
        assertThat(routed.lagView().replica("r").orElseThrow().lastSample().error())
            .hasMessageContaining("not from this cluster's primary (server_id=100)");
        assertThat(routed.lagView().replica("r").orElseThrow().admitted()).isFalse();
        assertThat(otherEvents.stateChanges).anyMatch(e -> e.startsWith("r- probe failed"));
        // No longer a replica at all: still excluded, with its own reason.
        try (Connection c = other.replica(0).dataSource().getConnection();
            Statement s = c.createStatement()) {
          s.execute("STOP SLAVE");
          s.execute("RESET SLAVE ALL");
        }
        routed.sampleNow();
        ReplicaStatus r = routed.lagView().replica("r").orElseThrow();
        assertThat(r.admitted()).isFalse();
        assertThat(r.lastSample().error()).hasMessageContaining("is no longer a replica");
        try (Consistency.Scope s = Consistency.session()) {
          Connection c = routed.getConnection();
          c.setReadOnly(true);
          try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("SELECT @@server_id")) {
            rs.next();
            assertThat(rs.getInt(1)).as("served by the primary").isEqualTo(100);
          }
          assertThat(c.unwrap(RoutedConnection.class).routeDecision().orElseThrow().role())
              .isEqualTo(NodeRole.PRIMARY);
          c.close();
        }
      }
    }
  }
}
