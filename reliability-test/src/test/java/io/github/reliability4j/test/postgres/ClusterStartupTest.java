package io.github.reliability4j.test.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Programmatic starts: settings, a primary-only cluster, close, and starts that must fail. */
class ClusterStartupTest {

  /** Guards against hangs only; the assertions are about the outcome, not the speed. */
  private static final Duration HANG_GUARD = Duration.ofSeconds(90);

  @Test
  void primaryOnlyClusterWorksAndCloseRemovesEverything() throws Exception {
    PostgresCluster cluster = PostgresCluster.start(0);
    PostgresNode primary = cluster.primary();
    Path dataDir = ((PgNode) primary).dataDir;
    try {
      assertThat(cluster.replicas()).isEmpty();
      assertThat(primary.name()).isEqualTo("primary");
      assertThat(primary.isRunning()).isTrue();
      assertThat(primary.jdbcUrl())
          .startsWith("jdbc:postgresql://localhost:" + primary.port() + "/postgres?user=postgres");
      try (Connection c = primary.dataSource().getConnection()) {
        assertThat(EmbeddedPostgresCluster.queryString(c, "SELECT pg_is_in_recovery()"))
            .isEqualTo("f");
      }
      cluster.awaitReplicasCaughtUp(Duration.ofSeconds(1));
      assertThatThrownBy(() -> cluster.replica(0))
          .isInstanceOf(IndexOutOfBoundsException.class)
          .hasMessage("replica index 0 out of range: the cluster has 0 replica(s)");
      assertThat(Files.exists(dataDir)).isTrue();
    } finally {
      cluster.close();
    }

    cluster.close(); // idempotent
    assertThat(primary.isRunning()).isFalse();
    assertThat(Files.exists(dataDir.getParent())).isFalse();
    assertThatThrownBy(() -> primary.dataSource().getConnection()).isInstanceOf(SQLException.class);
    assertThatThrownBy(() -> cluster.awaitReplicasCaughtUp(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot awaitReplicasCaughtUp: the cluster is closed");
    assertThatThrownBy(cluster::resetReplicas)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot resetReplicas: the cluster is closed");
  }

  @Test
  void serverSettingsReachEveryNodeIncludingValuesWithSpacesAndEmbeddedDefaults() throws Exception {
    ClusterConfig config =
        ClusterConfig.custom()
            .replicas(1)
            .serverSetting("log_line_prefix", "%m [%p] it's ")
            .serverSetting("synchronous_commit", "on")
            .serverSetting("work_mem", "7MB")
            .build();
    try (PostgresCluster cluster = PostgresCluster.start(config)) {
      for (PostgresNode node : new PostgresNode[] {cluster.primary(), cluster.replica(0)}) {
        try (Connection c = node.dataSource().getConnection()) {
          assertThat(EmbeddedPostgresCluster.queryString(c, "SHOW log_line_prefix"))
              .as(node.name())
              .isEqualTo("%m [%p] it's ");
          assertThat(EmbeddedPostgresCluster.queryString(c, "SHOW synchronous_commit"))
              .as(node.name())
              .isEqualTo("on");
          assertThat(EmbeddedPostgresCluster.queryString(c, "SHOW work_mem"))
              .as(node.name())
              .isEqualTo("7MB");
        }
      }
      String table = Rows.newTable(cluster.primary());
      Rows.insert(cluster.primary(), table, 1);
      cluster.awaitReplicasCaughtUp(Duration.ofSeconds(20));
      assertThat(Rows.exists(cluster.replica(0), table, 1)).isTrue();
    }
  }

  @Test
  void primaryPortInUseFailsWithWhatToChange() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ClusterConfig config =
          ClusterConfig.custom().replicas(1).primaryPort(taken.getLocalPort()).build();

      assertThatThrownBy(
              () -> assertTimeoutPreemptively(HANG_GUARD, () -> PostgresCluster.start(config)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "cannot start primary: port "
                  + taken.getLocalPort()
                  + " on localhost is in use by another process. Choose another"
                  + " ClusterConfig.primaryPort(...), or leave it 0 so the kit picks a free port");
    }
  }

  @Test
  void replicaThatNeverStreamsFailsWithinTheStartupTimeout() throws Exception {
    int nobodyListens;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      nobodyListens = socket.getLocalPort();
    }
    ClusterConfig config =
        ClusterConfig.custom()
            .replicas(1)
            .startupTimeout(Duration.ofSeconds(15))
            .replicaConninfoPortForTesting(nobodyListens)
            .build();

    assertThatThrownBy(
            () -> assertTimeoutPreemptively(HANG_GUARD, () -> PostgresCluster.start(config)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("replica-0")
        .hasMessageContaining("did not reach WAL receiver status 'streaming'")
        .hasMessageContaining("startupTimeout=PT15S");
  }

  @Test
  void settingThePostgresServerRejectsFailsFastWithItsLog() {
    ClusterConfig config =
        ClusterConfig.custom()
            .replicas(1)
            .startupTimeout(Duration.ofMinutes(10))
            .serverSetting("work_mem", "banana")
            .build();

    // Without reading pg_ctl's verdict this would wait the whole 10 minute startup timeout.
    assertThatThrownBy(
            () -> assertTimeoutPreemptively(HANG_GUARD, () -> PostgresCluster.start(config)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot start primary")
        .hasMessageContaining("work_mem");
  }
}
