package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.PartitionBehavior;
import io.github.reliability4j.core.routing.RoutingOptions;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingReplicationTest.Read;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicaNode;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Partition behaviour, the fallback cap and the causal-wait budget, against real replicas. */
@ReplicatedPostgres(replicas = 2)
class ReplicaRoutingFailoverTest {

  /** A primary that can be made unreachable. */
  static final class SwitchableDataSource extends TestDataSource {
    final DataSource delegate;
    volatile boolean down;

    SwitchableDataSource(DataSource delegate) {
      this.delegate = delegate;
    }

    @Override
    public Connection getConnection() throws SQLException {
      if (down) {
        throw new SQLTransientConnectionException("connection refused (simulated)", "08001");
      }
      return delegate.getConnection();
    }
  }

  static final List<HikariDataSource> pools = new ArrayList<>();
  static final EventRecorder events = new EventRecorder();
  static SwitchableDataSource primary;
  static ReplicaRoutingDataSource ds;

  @BeforeAll
  static void setUp(PostgresCluster cluster) throws Exception {
    cluster.resetReplicas();
    HikariDataSource p =
        ReplicaRoutingReplicationTest.primaryPool("fo-primary", cluster.primary().jdbcUrl());
    pools.add(p);
    primary = new SwitchableDataSource(p);
    RoutingConfig.Builder b =
        RoutingConfig.custom()
            .primary("primary", primary)
            .listener(events)
            .policy(
                RoutingPolicy.custom()
                    .sampleInterval(Duration.ofMillis(100))
                    .sampleExpiry(Duration.ofSeconds(30))
                    .maxReplicaLag(Duration.ofSeconds(30))
                    .maxCausalWait(Duration.ofSeconds(20))
                    .maxConcurrentFallbackReads(1)
                    .build());
    for (ReplicaNode r : cluster.replicas()) {
      HikariDataSource rp = ReplicaRoutingReplicationTest.pool("fo-" + r.name(), r.jdbcUrl());
      pools.add(rp);
      b.replica(r.name(), rp);
    }
    ds = new ReplicaRoutingDataSource(b.build());
    try (Connection c = cluster.primary().dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS routing_rows (id bigint PRIMARY KEY, v bigint)");
    }
  }

  @AfterAll
  static void tearDown() {
    ds.close();
    pools.forEach(HikariDataSource::close);
    pools.clear();
  }

  @BeforeEach
  void reset(PostgresCluster cluster) {
    primary.down = false;
    cluster.resetReplicas();
    events.clear();
  }

  @AfterEach
  void primaryUp() {
    primary.down = false;
  }

  /** A session whose last write no replica has replayed (replay paused everywhere). */
  private ConsistencySession sessionAheadOfReplicas(PostgresCluster cluster, long id)
      throws SQLException {
    cluster.replicas().forEach(ReplicaNode::pauseReplay);
    ConsistencySession session = ConsistencySession.create();
    try (Consistency.Scope s = Consistency.session(session);
        Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO routing_rows VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET v = 1")) {
      ps.setLong(1, id);
      ps.executeUpdate();
    }
    return session;
  }

  @Test
  void primaryDownAndNoCoveringReplicaFailsWithARetryableError(PostgresCluster cluster)
      throws Exception {
    ConsistencySession session = sessionAheadOfReplicas(cluster, 9001);
    primary.down = true;
    try (Consistency.Scope s = Consistency.session(session);
        Consistency.Scope o =
            Consistency.options(
                RoutingOptions.custom().maxCausalWait(Duration.ofMillis(50)).build())) {
      assertThatThrownBy(() -> ReplicaRoutingReplicationTest.read(ds, 9001))
          .isInstanceOf(ReplicaUnavailableException.class)
          .isInstanceOf(SQLTransientConnectionException.class)
          .hasMessageContaining("primary 'primary' is unreachable")
          .hasMessageContaining("partition behaviour FAIL")
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));
    }
    assertThat(events.refusals).hasSize(1);
  }

  @Test
  void primaryDownWithAvailabilityFirstServesTheFreshestReplicaFlaggedStale(PostgresCluster cluster)
      throws Exception {
    ConsistencySession session = sessionAheadOfReplicas(cluster, 9002);
    primary.down = true;
    try (Consistency.Scope s = Consistency.session(session);
        Consistency.Scope o =
            Consistency.options(
                RoutingOptions.custom()
                    .maxCausalWait(Duration.ofMillis(50))
                    .partitionBehavior(PartitionBehavior.SERVE_POSSIBLY_STALE)
                    .build());
        Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      Read r = ReplicaRoutingReplicationTest.readOn(c, 9002);
      assertThat(r.inRecovery()).isTrue();
      RoutedConnection routed = c.unwrap(RoutedConnection.class);
      assertThat(routed.isPossiblyStale()).isTrue();
      assertThat(routed.routeDecision().orElseThrow().fallback())
          .isEqualTo(FallbackReason.SERVED_POSSIBLY_STALE);
    }
    assertThat(events.fallbacks).contains(FallbackReason.SERVED_POSSIBLY_STALE);
  }

  @Test
  void fallbackCapStopsReadsFloodingThePrimary(PostgresCluster cluster) throws Exception {
    ConsistencySession session = sessionAheadOfReplicas(cluster, 9003);
    try (Consistency.Scope s = Consistency.session(session);
        Consistency.Scope o =
            Consistency.options(RoutingOptions.custom().maxCausalWait(Duration.ZERO).build());
        Connection first = ds.getConnection();
        Connection second = ds.getConnection()) {
      first.setReadOnly(true);
      second.setReadOnly(true);
      assertThat(ReplicaRoutingReplicationTest.readOn(first, 9003).inRecovery()).isFalse();
      assertThat(first.unwrap(RoutedConnection.class).routeDecision().orElseThrow().fallback())
          .isEqualTo(FallbackReason.TOKEN_NOT_COVERED);
      assertThatThrownBy(() -> ReplicaRoutingReplicationTest.readOn(second, 9003))
          .isInstanceOf(ReplicaUnavailableException.class)
          .hasMessageContaining("maxConcurrentFallbackReads=1");
      first.close();
      // The permit is back once the first connection is closed.
      try (Connection third = ds.getConnection()) {
        third.setReadOnly(true);
        assertThat(ReplicaRoutingReplicationTest.readOn(third, 9003).value()).isEqualTo(1L);
      }
    }
  }

  @Test
  void causalWaitNeverExceedsTheStatementQueryTimeout(PostgresCluster cluster) throws Exception {
    // maxCausalWait is 20s; the statement's 1s query timeout must cut the wait short.
    ConsistencySession session = sessionAheadOfReplicas(cluster, 9004);
    List<Duration> waits = new ArrayList<>();
    try (Consistency.Scope s = Consistency.session(session);
        Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      try (PreparedStatement ps =
          c.prepareStatement("SELECT v, pg_is_in_recovery() FROM routing_rows WHERE id = ?")) {
        ps.setQueryTimeout(1);
        ps.setLong(1, 9004);
        var rs = ps.executeQuery();
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(1L);
        assertThat(rs.getBoolean(2)).as("served by the primary after the wait").isFalse();
      }
    }
    assertThat(events.waits).containsExactly(false);
    assertThat(events.fallbacks).containsExactly(FallbackReason.TOKEN_NOT_COVERED);
    assertThat(ds.lagView().replicas())
        .as("no connection is still counted against a replica")
        .allSatisfy(r -> assertThat(r.outstanding()).isZero());
  }

  @Test
  void causalWaitSucceedsWhenTheReplicaCatchesUpWithinTheBudget(PostgresCluster cluster)
      throws Exception {
    ConsistencySession session = sessionAheadOfReplicas(cluster, 9005);
    java.util.concurrent.atomic.AtomicReference<ReplicaNode> resumed =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean readerDone =
        new java.util.concurrent.atomic.AtomicBoolean();
    Thread resumer =
        new Thread(
            () -> {
              // Resume the replica the reader is waiting on, so the wait (not the monitor) sees it.
              // Polls with a short sleep instead of spinning, so it does not take a core from the
              // reader on a loaded machine, and keeps looking for as long as the reader may wait.
              long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
              while (resumed.get() == null && !readerDone.get() && System.nanoTime() < deadline) {
                for (ReplicaNode r : cluster.replicas()) {
                  if (ds.lagView().replica(r.name()).orElseThrow().outstanding() > 0) {
                    // Recorded before resuming: the reader can see its wait covered and finish
                    // before resumeReplay() has even returned here.
                    resumed.set(r);
                    r.resumeReplay();
                    break;
                  }
                }
                try {
                  Thread.sleep(2);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "causal-wait-resumer");
    resumer.start();
    // The budget only bounds a wait that ends as soon as the resumed replica replays the write;
    // it is generous so that a loaded machine cannot turn that into a fallback to the primary.
    Read r;
    try (Consistency.Scope s = Consistency.session(session);
        Consistency.Scope o =
            Consistency.options(
                RoutingOptions.custom().maxCausalWait(Duration.ofSeconds(60)).build());
        Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      r = ReplicaRoutingReplicationTest.readOn(c, 9005);
    } finally {
      readerDone.set(true);
    }
    resumer.join();
    assertThat(resumed.get()).as("the reader waited on a replica").isNotNull();
    assertThat(r.value()).isEqualTo(1L);
    assertThat(r.inRecovery()).isTrue();
    assertThat(r.port()).isEqualTo(resumed.get().port());
    assertThat(events.waits).containsExactly(true);
  }
}
