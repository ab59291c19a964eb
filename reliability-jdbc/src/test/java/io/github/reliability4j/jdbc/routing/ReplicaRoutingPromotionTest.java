package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.CausalToken;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.LsnPosition;
import io.github.reliability4j.core.routing.ReplicaStatus;
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
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real failover: the primary is killed, a standby promoted with {@code pg_promote()}, and a
 * routing DataSource pointed at the new primary. Before the kill, replica-0 (to be promoted) and
 * replica-2 are cut off their upstream, and the old primary commits one more write that only
 * replica-1 receives: that write is lost on the new timeline, and replica-1 has diverged (it holds
 * data the new primary never had). replica-2 then follows the new primary.
 *
 * <p>What must hold: tokens carry the timeline; the diverged replica is excluded and serves no
 * read; tokens from the old timeline are read on the primary (never on the diverged replica)
 * without waiting for a replica; tokens of the new timeline get read-your-writes on the replica
 * that follows.
 */
class ReplicaRoutingPromotionTest {

  static final Duration DEADLINE = Duration.ofSeconds(60);
  static PostgresCluster cluster;
  static final List<HikariDataSource> pools = new ArrayList<>();
  static final EventRecorder events = new EventRecorder();
  static ReplicaRoutingDataSource before;
  static ReplicaRoutingDataSource after;
  static String tokenBeforeCut;
  static String tokenOfLostWrite;

  @BeforeAll
  static void failOver() throws Exception {
    cluster = PostgresCluster.start(ClusterConfig.custom().replicas(3).build());
    before = routing(cluster.primary().jdbcUrl(), "before", 0, 1, 2);
    try (Connection c = cluster.primary().dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE routing_rows (id bigint PRIMARY KEY, v bigint)");
    }
    ConsistencySession first = ConsistencySession.create();
    write(before, first, 1, 1);
    tokenBeforeCut = before.exportSession(first).orElseThrow();
    cluster.awaitReplicasCaughtUp(DEADLINE);

    cluster.replica(0).disconnect();
    cluster.replica(2).disconnect();
    ConsistencySession lost = ConsistencySession.create();
    write(before, lost, 1, 2);
    tokenOfLostWrite = before.exportSession(lost).orElseThrow();
    cluster.replica(1).awaitCaughtUp(DEADLINE);
    before.close();

    cluster.stopPrimary();
    cluster.replica(0).promote();
    cluster.replica(2).follow(cluster.replica(0));
    after = routing(cluster.replica(0).jdbcUrl(), "after", 1, 2);
  }

  @AfterAll
  static void tearDown() {
    if (after != null) {
      after.close();
    }
    pools.forEach(HikariDataSource::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  static ReplicaRoutingDataSource routing(String primaryUrl, String name, int... replicas) {
    HikariDataSource p = ReplicaRoutingReplicationTest.primaryPool(name + "-primary", primaryUrl);
    pools.add(p);
    RoutingConfig.Builder b =
        RoutingConfig.custom()
            .primary("primary", p)
            .tokenKey(ReplicaRoutingReplicationTest.KEY)
            .listener(events)
            .policy(
                RoutingPolicy.custom()
                    .sampleInterval(Duration.ofMillis(100))
                    .maxCausalWait(Duration.ofSeconds(30))
                    .build());
    for (int i : replicas) {
      ReplicaNode r = cluster.replica(i);
      HikariDataSource rp = ReplicaRoutingReplicationTest.pool(name + "-" + r.name(), r.jdbcUrl());
      pools.add(rp);
      b.replica(r.name(), rp);
    }
    return new ReplicaRoutingDataSource(b.build());
  }

  static void write(DataSource ds, ConsistencySession session, long id, long v)
      throws SQLException {
    try (Consistency.Scope s = Consistency.session(session);
        Connection c = ds.getConnection()) {
      ReplicaRoutingReplicationTest.upsert(c, id, v);
    }
  }

  static Read readWith(ConsistencySession session, long id) throws SQLException {
    try (Consistency.Scope s = Consistency.session(session)) {
      return ReplicaRoutingReplicationTest.read(after, id);
    }
  }

  static ReplicaStatus status(String replica) {
    return after.lagView().replicas().stream()
        .filter(r -> r.name().equals(replica))
        .findFirst()
        .orElseThrow();
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what + "; " + after.lagView());
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  static int timelineOf(String exported) {
    ConsistencySession s = after.importSession(exported);
    CausalToken t = s.token(after.clusterId()).orElseThrow();
    return ((LsnPosition) t.position()).timeline();
  }

  @Test
  void tokensCarryTheTimeline() throws Exception {
    assertThat(timelineOf(tokenBeforeCut)).isEqualTo(1);
    assertThat(timelineOf(tokenOfLostWrite)).isEqualTo(1);
    ConsistencySession s = ConsistencySession.create();
    write(after, s, 2, 1);
    assertThat(timelineOf(after.exportSession(s).orElseThrow())).isEqualTo(2);
  }

  @Test
  void theDivergedReplicaIsExcludedAndServesNoRead() throws Exception {
    await("replica-2 (following the new primary) admitted", () -> status("replica-2").admitted());
    assertThat(status("replica-1").admitted())
        .as("replica-1 replays the old timeline past the promotion point")
        .isFalse();
    await(
        "replica-1's exclusion names the timeline",
        () -> {
          LagSample last = status("replica-1").lastSample();
          return last != null
              && last.error() != null
              && last.error().getMessage().contains("another timeline")
              && last.error().getMessage().contains("replica at 1:")
              && last.error().getMessage().contains("primary at 2:");
        });
    for (int i = 0; i < 50; i++) {
      Read r = ReplicaRoutingReplicationTest.read(after, 1);
      assertThat(r.port()).as("no read on the diverged replica").isNotEqualTo(replica(1));
      assertThat(r.value()).as("the lost write is never visible").isEqualTo(1L);
    }
  }

  @Test
  void oldTimelineTokensAreReadOnThePrimaryWithoutWaiting() throws Exception {
    await("replica-2 admitted", () -> status("replica-2").admitted());
    for (String old : List.of(tokenBeforeCut, tokenOfLostWrite)) {
      events.clear();
      Read r = readWith(after.importSession(old), 1);
      assertThat(r.inRecovery()).as("old-timeline token read on the new primary").isFalse();
      assertThat(r.port()).isEqualTo(replica(0));
      assertThat(r.value())
          .as("what the new primary has: the lost write is lost (documented)")
          .isEqualTo(1L);
      assertThat(events.waits).as("no causal wait for a replica on another timeline").isEmpty();
    }
  }

  @Test
  void newTimelineTokensGetReadYourWritesOnTheFollowingReplica() throws Exception {
    await("replica-2 admitted", () -> status("replica-2").admitted());
    int onReplica = 0;
    for (int i = 0; i < 40; i++) {
      ConsistencySession s = ConsistencySession.create();
      write(after, s, 100 + i, i);
      Read r = readWith(s, 100 + i);
      assertThat(r.value()).as("read-your-writes after failover").isEqualTo((long) i);
      assertThat(r.port()).isNotEqualTo(replica(1));
      if (r.inRecovery()) {
        onReplica++;
      }
    }
    assertThat(onReplica).as("the following replica serves reads").isPositive();
  }

  static int replica(int i) {
    return cluster.replica(i).port();
  }
}
