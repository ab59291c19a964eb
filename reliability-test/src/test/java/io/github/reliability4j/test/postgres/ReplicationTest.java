package io.github.reliability4j.test.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
  void concurrentWritersEachSeeTheirOwnRowAfterAwaitingCaughtUp(PostgresCluster cluster)
      throws Exception {
    String table = Rows.newTable(cluster.primary());
    int threads = 4;
    int rowsPerThread = 5;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> writers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        writers.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < rowsPerThread; i++) {
                    int id = thread * 1000 + i;
                    ReplicaNode replica = cluster.replica((thread + i) % 2);
                    Rows.insert(cluster.primary(), table, id);
                    replica.awaitCaughtUp(DEADLINE);
                    assertThat(Rows.exists(replica, table, id))
                        .as("row %d on %s", id, replica.name())
                        .isTrue();
                  }
                  return null;
                }));
      }
      for (Future<?> writer : writers) {
        writer.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void replicaOperationsRejectBadInputAndStoppedReplicas(PostgresCluster cluster) {
    ReplicaNode replica = cluster.replica(1);
    assertThatThrownBy(() -> replica.setApplyDelay(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("apply delay must be zero (no delay) or positive, but was PT-0.001S");
    assertThatThrownBy(() -> replica.setApplyDelay(Duration.ofNanos(1500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("whole number of milliseconds");
    assertThatThrownBy(() -> replica.awaitCaughtUp(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("deadline must be zero or positive, but was null");
    assertThatThrownBy(() -> cluster.replica(2))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessage("replica index 2 out of range: the cluster has 2 replica(s)");

    replica.stop();
    try {
      replica.stop(); // idempotent
      assertThatThrownBy(replica::pauseReplay)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("cannot pauseReplay on replica-1: it is stopped; call start() first");
      assertThatThrownBy(() -> replica.awaitCaughtUp(DEADLINE))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("it is stopped");
      assertThatThrownBy(replica::replayLagBytes)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("it is stopped");
      // Stopped replicas are skipped, not waited for.
      cluster.awaitReplicasCaughtUp(DEADLINE);
    } finally {
      replica.start();
    }
    replica.start(); // idempotent
    assertThat(replica.isRunning()).isTrue();
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
    // Polled: WAL the primary writes on its own after the catch-up (e.g. a running-xacts record)
    // counts as lag until replayed, and a slow machine widens that window.
    assertThat(Rows.eventually(DEADLINE, () -> paused.replayLagBytes() < 64)).isTrue();
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
      // Taken before the insert, so it is never later than the commit timestamp the replica's
      // delay counts from: on a loaded machine the insert can return long after its commit.
      long beforeCommit = System.nanoTime();
      Rows.insert(cluster.primary(), table, 1);
      cluster.replica(1).awaitCaughtUp(DEADLINE);
      boolean visibleEarly = Rows.exists(replica, table, 1);
      long checkedAt = System.nanoTime();
      // Only meaningful if the check ran before the delay could have passed.
      if (Duration.ofNanos(checkedAt - beforeCommit).compareTo(Duration.ofMillis(1500)) < 0) {
        assertThat(visibleEarly).as("row visible before the apply delay passed").isFalse();
      }
      assertThat(Rows.eventually(DEADLINE, () -> Rows.exists(replica, table, 1))).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - beforeCommit))
          .isGreaterThanOrEqualTo(Duration.ofMillis(1900));
    } finally {
      replica.setApplyDelay(Duration.ZERO);
    }
    Rows.insert(cluster.primary(), table, 2);
    replica.awaitCaughtUp(DEADLINE);
    assertThat(Rows.exists(replica, table, 2)).isTrue();
  }
}
