package io.github.reliability4j.test.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The kit against real mariadbd processes: replication and every lag control. */
@ReplicatedMariaDb(replicas = 2)
class MariaDbClusterTest {

  static final Duration DEADLINE = Duration.ofSeconds(30);
  static final String TABLE = "kit_rows_" + Math.abs(ThreadLocalRandom.current().nextInt());

  @BeforeAll
  static void createTable(MariaDbCluster cluster) throws SQLException {
    update(cluster.primary().dataSource(), "CREATE TABLE " + TABLE + " (id INT PRIMARY KEY)");
    cluster.awaitReplicasCaughtUp(DEADLINE);
  }

  static void update(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  static boolean has(DataSource ds, int id) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + TABLE + " WHERE id = " + id)) {
      rs.next();
      return rs.getInt(1) == 1;
    }
  }

  static int ids = 0;

  @Test
  void topologyIsAPrimaryWithReadOnlyGtidReplicas(MariaDbCluster cluster) throws SQLException {
    assertThat(cluster.primary().serverId()).isEqualTo(1);
    assertThat(cluster.replicas()).hasSize(2);
    for (MariaDbReplica r : cluster.replicas()) {
      assertThat(r.isRunning()).isTrue();
      assertThat(r.isReplicationStopped()).isFalse();
      try (Connection c = r.dataSource().getConnection();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT @@server_id, @@read_only, @@gtid_strict_mode")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(r.serverId());
        assertThat(rs.getBoolean(2)).isTrue();
        assertThat(rs.getBoolean(3)).isTrue();
      }
    }
    assertThat(cluster.primary().jdbcUrl()).contains(":" + cluster.primary().port() + "/test");
    assertThatThrownBy(() -> cluster.replica(2)).hasMessageContaining("the cluster has 2");
  }

  @Test
  void stoppedReplicationHidesNewRowsUntilStarted(MariaDbCluster cluster) throws SQLException {
    MariaDbReplica r = cluster.replica(0);
    r.stopReplication();
    r.stopReplication();
    assertThat(r.isReplicationStopped()).isTrue();
    int id = ++ids;
    update(cluster.primary().dataSource(), "INSERT INTO " + TABLE + " VALUES (" + id + ")");
    cluster.replica(1).awaitCaughtUp(DEADLINE);
    assertThat(has(cluster.replica(1).dataSource(), id)).isTrue();
    assertThat(has(r.dataSource(), id)).as("stopped replica").isFalse();
    assertThatThrownBy(() -> r.awaitCaughtUp(Duration.ofMillis(200)))
        .isInstanceOf(MariaDbReplicationTimeoutException.class)
        .hasMessageContaining("Slave_SQL_Running=No");
    r.startReplication();
    r.awaitCaughtUp(DEADLINE);
    assertThat(has(r.dataSource(), id)).isTrue();
    assertThat(r.gtidSlavePos()).startsWith("0-1-");
  }

  @Test
  void applyDelayHoldsRowsBackAndResetRemovesIt(MariaDbCluster cluster) throws SQLException {
    MariaDbReplica r = cluster.replica(1);
    r.setApplyDelay(Duration.ofSeconds(3600));
    int id = ++ids;
    update(cluster.primary().dataSource(), "INSERT INTO " + TABLE + " VALUES (" + id + ")");
    assertThatThrownBy(() -> r.awaitCaughtUp(Duration.ofMillis(300)))
        .isInstanceOf(MariaDbReplicationTimeoutException.class)
        .hasMessageContaining("SQL_Delay=3600");
    assertThat(has(r.dataSource(), id)).isFalse();
    cluster.resetReplicas();
    assertThat(has(r.dataSource(), id)).isTrue();
    assertThatThrownBy(() -> r.setApplyDelay(Duration.ofMillis(1500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("whole number of seconds");
  }

  @Test
  void stoppedReplicaRefusesConnectionsAndCatchesUpAfterStart(MariaDbCluster cluster)
      throws SQLException {
    MariaDbReplica r = cluster.replica(0);
    r.stop();
    r.stop();
    assertThat(r.isRunning()).isFalse();
    assertThatThrownBy(() -> r.dataSource().getConnection()).isInstanceOf(SQLException.class);
    assertThatThrownBy(r::stopReplication).hasMessageContaining("is stopped");
    int id = ++ids;
    update(cluster.primary().dataSource(), "INSERT INTO " + TABLE + " VALUES (" + id + ")");
    r.start();
    r.awaitCaughtUp(DEADLINE);
    assertThat(has(r.dataSource(), id)).isTrue();
  }

  @Test
  void configValidatesOptions() {
    assertThatThrownBy(() -> MariaDbClusterConfig.custom().replicas(-1))
        .hasMessage("replicas must be between 0 and 16, but was -1");
    assertThatThrownBy(() -> MariaDbClusterConfig.custom().serverOption("server_id=7"))
        .hasMessageContaining("'server-id' is set by the kit");
    assertThatThrownBy(() -> MariaDbClusterConfig.custom().serverOption("novalue"))
        .hasMessageContaining("'name=value'");
    assertThat(MariaDbClusterConfig.custom().serverOption("binlog_format=MIXED").build())
        .isEqualTo(MariaDbClusterConfig.custom().serverOption("binlog-format", "MIXED").build());
  }
}
