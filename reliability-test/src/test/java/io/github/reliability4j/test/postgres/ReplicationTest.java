package io.github.reliability4j.test.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@ReplicatedPostgres(replicas = 2)
class ReplicationTest {

  private static final Duration DEADLINE = Duration.ofSeconds(20);

  @Test
  void rowWrittenOnPrimaryBecomesVisibleOnEveryReplica(PostgresCluster cluster) throws Exception {
    String table = Rows.newTable(cluster.primary());
    Rows.insert(cluster.primary(), table, 1);

    cluster.awaitReplicasCaughtUp(DEADLINE);

    for (ReplicaNode replica : cluster.replicas()) {
      assertThat(Rows.exists(replica, table, 1)).as(replica.name()).isTrue();
    }
  }

  @Test
  void replicasAreHotStandbysThatStream(PostgresCluster cluster) throws Exception {
    for (ReplicaNode replica : cluster.replicas()) {
      try (Connection c = replica.dataSource().getConnection()) {
        assertThat(EmbeddedPostgresCluster.queryString(c, "SELECT pg_is_in_recovery()"))
            .isEqualTo("t");
        assertThat(
                EmbeddedPostgresCluster.queryString(c, "SELECT status FROM pg_stat_wal_receiver"))
            .isEqualTo("streaming");
      }
      assertThatThrownBy(() -> Rows.insert(replica, "pg_class", 1))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("read-only");
    }
  }

  @Test
  void pausedReplicaHidesNewRowsUntilResumed(PostgresCluster cluster) throws Exception {
    ReplicaNode paused = cluster.replica(0);
    ReplicaNode streaming = cluster.replica(1);
    String table = Rows.newTable(cluster.primary());
    cluster.awaitReplicasCaughtUp(DEADLINE);

    paused.pauseReplay();
    assertThat(paused.isReplayPaused()).isTrue();
    Rows.insert(cluster.primary(), table, 1);

    // The other replica proves the row reached the replicas' network path.
    streaming.awaitCaughtUp(DEADLINE);
    assertThat(Rows.exists(streaming, table, 1)).isTrue();
    assertThat(Rows.exists(paused, table, 1)).isFalse();
    assertThat(paused.replayLagBytes()).isPositive();
    assertThatThrownBy(() -> paused.awaitCaughtUp(Duration.ofMillis(300)))
        .isInstanceOf(ReplicationTimeoutException.class)
        .hasMessageContaining("replica-0")
        .hasMessageContaining("replay paused: yes");

    paused.resumeReplay();
    assertThat(paused.isReplayPaused()).isFalse();
    paused.awaitCaughtUp(DEADLINE);
    assertThat(Rows.exists(paused, table, 1)).isTrue();
    assertThat(paused.replayLagBytes()).isLessThan(64);
  }

  @Test
  void stoppedReplicaRefusesConnectionsAndCatchesUpAfterStart(PostgresCluster cluster)
      throws Exception {
    ReplicaNode replica = cluster.replica(1);
    String table = Rows.newTable(cluster.primary());

    replica.stop();
    assertThat(replica.isRunning()).isFalse();
    assertThatThrownBy(() -> replica.dataSource().getConnection())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("Connection to localhost:" + replica.port() + " refused");
    Rows.insert(cluster.primary(), table, 7);

    replica.start();
    assertThat(replica.isRunning()).isTrue();
    replica.awaitCaughtUp(DEADLINE);
    assertThat(Rows.exists(replica, table, 7)).isTrue();

    Rows.insert(cluster.primary(), table, 8);
    replica.awaitCaughtUp(DEADLINE);
    assertThat(Rows.exists(replica, table, 8)).isTrue();
  }

  @Test
  void applyDelayHoldsBackCommitsUntilTheyAreOldEnough(PostgresCluster cluster) throws Exception {
    ReplicaNode replica = cluster.replica(0);
    String table = Rows.newTable(cluster.primary());
    cluster.awaitReplicasCaughtUp(DEADLINE);

    replica.setApplyDelay(Duration.ofSeconds(2));
    try {
      Rows.insert(cluster.primary(), table, 1);
      long committedAt = System.nanoTime();
      cluster.replica(1).awaitCaughtUp(DEADLINE);
      boolean visibleEarly = Rows.exists(replica, table, 1);
      long checkedAt = System.nanoTime();
      // Only meaningful if the check ran before the delay could have passed.
      if (Duration.ofNanos(checkedAt - committedAt).compareTo(Duration.ofMillis(1500)) < 0) {
        assertThat(visibleEarly).as("row visible before the apply delay passed").isFalse();
      }
      assertThat(Rows.eventually(DEADLINE, () -> Rows.exists(replica, table, 1))).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - committedAt))
          .isGreaterThanOrEqualTo(Duration.ofMillis(1900));
    } finally {
      replica.setApplyDelay(Duration.ZERO);
    }
    Rows.insert(cluster.primary(), table, 2);
    replica.awaitCaughtUp(DEADLINE);
    assertThat(Rows.exists(replica, table, 2)).isTrue();
  }
}
