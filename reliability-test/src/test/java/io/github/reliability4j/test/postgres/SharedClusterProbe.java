package io.github.reliability4j.test.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Duration;

/** Assertions shared by the classes that prove sharing and reset. */
final class SharedClusterProbe {

  private static volatile Integer firstPrimaryPort;

  private SharedClusterProbe() {}

  static void assertSharedAndReset(PostgresCluster cluster) throws SQLException {
    ClusterConfig config = ClusterConfig.custom().replicas(2).build();
    assertThat(cluster.config()).isEqualTo(config);
    assertThat(EmbeddedPostgresCluster.startCount(config)).as("clusters started").isEqualTo(1);
    synchronized (SharedClusterProbe.class) {
      if (firstPrimaryPort == null) {
        firstPrimaryPort = cluster.primary().port();
      }
    }
    assertThat(cluster.primary().port()).isEqualTo(firstPrimaryPort);

    for (ReplicaNode replica : cluster.replicas()) {
      assertThat(replica.isRunning()).as(replica.name() + " running").isTrue();
      assertThat(replica.isReplayPaused()).as(replica.name() + " paused").isFalse();
    }
    String table = Rows.newTable(cluster.primary());
    Rows.insert(cluster.primary(), table, 1);
    cluster.awaitReplicasCaughtUp(Duration.ofSeconds(20));
    for (ReplicaNode replica : cluster.replicas()) {
      assertThat(Rows.exists(replica, table, 1)).as(replica.name()).isTrue();
    }
  }

  /** Leaves the cluster as a careless test would: the next class must not notice. */
  static void leakState(PostgresCluster cluster) throws SQLException {
    cluster.replica(0).pauseReplay();
    cluster.replica(0).setApplyDelay(Duration.ofHours(1));
    cluster.replica(1).stop();
    String table = Rows.newTable(cluster.primary());
    Rows.insert(cluster.primary(), table, 1);
    // Closing an injected cluster must not close the shared one.
    cluster.close();
  }
}
