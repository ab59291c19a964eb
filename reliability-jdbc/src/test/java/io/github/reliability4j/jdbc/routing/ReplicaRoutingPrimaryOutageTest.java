package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.CausalToken;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.LsnPosition;
import io.github.reliability4j.core.routing.PartitionBehavior;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.core.routing.RoutingOptions;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingReplicationTest.Read;
import io.github.reliability4j.test.postgres.ClusterConfig;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicaNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The primary killed ({@code pg_ctl stop -m immediate}) with two caught-up streaming replicas,
 * every pool with HikariCP's default 30 s connection timeout, and a lag limit of 2 s (issue 22):
 * reads the replicas can serve keep being served however long the outage lasts; reads they cannot
 * serve follow the partition behaviour without waiting for the dead primary's pool. Its own
 * cluster: a killed primary cannot come back.
 */
class ReplicaRoutingPrimaryOutageTest {

  static final Duration DEADLINE = Duration.ofSeconds(60);
  static final Duration OUTAGE = Duration.ofSeconds(30);
  static final Duration HIKARI_DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  static PostgresCluster cluster;
  static final List<HikariDataSource> pools = new ArrayList<>();
  static final EventRecorder events = new EventRecorder();
  static ReplicaRoutingDataSource ds;
  static String replayedToken;
  static String notReplayedToken;
  static Set<Integer> replicaPorts;

  @BeforeAll
  static void killThePrimary() throws Exception {
    cluster = PostgresCluster.start(ClusterConfig.custom().replicas(2).build());
    replicaPorts = cluster.replicas().stream().map(ReplicaNode::port).collect(Collectors.toSet());
    RoutingConfig.Builder b =
        RoutingConfig.custom()
            .primary("primary", defaultPool("outage-primary", cluster.primary().jdbcUrl()))
            .tokenKey(ReplicaRoutingReplicationTest.KEY)
            .listener(events)
            .policy(
                RoutingPolicy.custom()
                    .sampleInterval(Duration.ofMillis(200))
                    // Generous for a loaded machine; far shorter than the outage, so lag measured
                    // as time since the primary was last seen would exclude both replicas.
                    .sampleExpiry(Duration.ofSeconds(5))
                    .maxReplicaLag(Duration.ofSeconds(2))
                    .maxCausalWait(Duration.ofMillis(300))
                    .readmitAfterSamples(1)
                    .build());
    for (ReplicaNode r : cluster.replicas()) {
      b.replica(r.name(), defaultPool("outage-" + r.name(), r.jdbcUrl()));
    }
    ds = new ReplicaRoutingDataSource(b.build());
    try (Connection c = cluster.primary().dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE routing_rows (id bigint PRIMARY KEY, v bigint)");
    }
    ConsistencySession writer = ConsistencySession.create();
    ReplicaRoutingPromotionTest.write(ds, writer, 1, 7);
    replayedToken = ds.exportSession(writer).orElseThrow();
    // A write that the primary acknowledged but no replica ever received: a position well beyond
    // everything the primary has written, on its timeline.
    LsnPosition written = (LsnPosition) writer.token(ds.clusterId()).orElseThrow().position();
    ConsistencySession ahead = ConsistencySession.create();
    ahead.advance(
        new CausalToken(
            ds.clusterId(), LsnPosition.of(written.timeline(), written.value() + (64L << 20))));
    notReplayedToken = ds.exportSession(ahead).orElseThrow();
    cluster.awaitReplicasCaughtUp(DEADLINE);
    RoutingScenarios.awaitTrue(
        ds,
        DEADLINE,
        "both replicas admitted with the write replayed",
        () ->
            ds.lagView().replicas().stream()
                .allMatch(
                    r ->
                        r.admitted()
                            && r.knownPosition() != null
                            && r.knownPosition().covers(written)));
    cluster.stopPrimary();
    RoutingScenarios.awaitTrue(
        ds,
        DEADLINE,
        "the lag monitor sees the primary down",
        () -> ds.router.primaryUnreachable() != null);
  }

  static HikariDataSource defaultPool(String name, String url) {
    return defaultPool(pools, name, url);
  }

  static HikariDataSource defaultPool(List<HikariDataSource> into, String name, String url) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    hc.setPoolName("routing-" + name);
    hc.setMaximumPoolSize(4);
    hc.setMinimumIdle(0);
    hc.setInitializationFailTimeout(-1);
    assertThat(hc.getConnectionTimeout()).isEqualTo(HIKARI_DEFAULT_TIMEOUT.toMillis());
    HikariDataSource p = new HikariDataSource(hc);
    into.add(p);
    return p;
  }

  @AfterAll
  static void tearDown() {
    if (ds != null) {
      ds.close();
    }
    pools.forEach(HikariDataSource::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  static Read readIn(ConsistencySession session) throws SQLException {
    try (Consistency.Scope s = Consistency.session(session)) {
      return ReplicaRoutingReplicationTest.read(ds, 1);
    }
  }

  /** The only test here that runs in real time: the outage must last, reads run in a loop. */
  @Test
  void readsTheReplicasCanServeKeepBeingServedForThirtySeconds() throws Exception {
    int reads = 0;
    List<String> failures = new ArrayList<>();
    long end = System.nanoTime() + OUTAGE.toNanos();
    while (System.nanoTime() < end) {
      for (ConsistencySession session :
          List.of(ConsistencySession.create(), ds.importSession(replayedToken))) {
        reads++;
        try {
          Read r = readIn(session);
          if (r.value() == null || r.value() != 7L || !replicaPorts.contains(r.port())) {
            failures.add("read " + reads + " returned " + r);
          }
        } catch (SQLException e) {
          failures.add("read " + reads + " failed: " + e);
        }
      }
    }
    assertThat(failures).as("failed reads out of " + reads).isEmpty();
    assertThat(ds.lagView().replicas()).allSatisfy(r -> assertThat(r.admitted()).isTrue());
    assertThat(ds.lagView().replicas())
        .as("lag during the outage is measured against the primary's last known state")
        .extracting(ReplicaStatus::lastSample)
        .allSatisfy(s -> assertThat(s.lag()).isLessThanOrEqualTo(Duration.ofSeconds(2)));
  }

  @Test
  void aTokenNoReplicaReplayedFailsClearlyWithoutWaitingForThePrimarysPool() throws Exception {
    events.clear();
    long start = System.nanoTime();
    SQLException failure = null;
    try {
      readIn(ds.importSession(notReplayedToken));
    } catch (SQLException e) {
      failure = e;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat((Throwable) failure)
        .isInstanceOf(ReplicaUnavailableException.class)
        .hasMessageContaining("primary 'primary' is unreachable")
        .hasMessageContaining("TOKEN_NOT_COVERED")
        .hasMessageContaining("partition behaviour FAIL");
    assertThat(failure.getSQLState()).isEqualTo("08001");
    assertThat(events.waits).as("the causal wait ran and was not covered").containsExactly(false);
    assertThat(took)
        .as("bounded by maxCausalWait and replicaConnectTimeout, not HikariCP's 30 s")
        .isLessThan(HIKARI_DEFAULT_TIMEOUT);

    // Availability first: the freshest replica serves it, flagged possibly stale.
    try (Consistency.Scope s = Consistency.session(ds.importSession(notReplayedToken));
        Consistency.Scope o =
            Consistency.options(
                RoutingOptions.custom()
                    .partitionBehavior(PartitionBehavior.SERVE_POSSIBLY_STALE)
                    .build());
        Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      Read r = ReplicaRoutingReplicationTest.readOn(c, 1);
      assertThat(r.value()).isEqualTo(7L);
      assertThat(c.unwrap(RoutedConnection.class).routeDecision().orElseThrow().fallback())
          .isEqualTo(FallbackReason.SERVED_POSSIBLY_STALE);
    }
  }
}
