package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.test.mariadb.MariaDbCluster;
import io.github.reliability4j.test.mariadb.MariaDbReplica;
import io.github.reliability4j.test.mariadb.ReplicatedMariaDb;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A MariaDB replica that is alive but lags past {@code maxReplicaLag} (its SQL thread stopped while
 * the primary keeps committing) is excluded, receives no reads while excluded, and is re-admitted
 * once it has caught up: the "lagging replica" half of the support matrix's exclusion row (the
 * dead-replica half is {@code MariaDbReplicaRoutingReplicationTest#replicaStoppedMidLoad*}).
 */
@ReplicatedMariaDb(replicas = 2)
class MariaDbLaggingReplicaTest {

  static final Duration DEADLINE = Duration.ofSeconds(60);
  static final String TABLE = "lag_rows_" + Math.abs(ThreadLocalRandom.current().nextInt());

  @Test
  void replicaLaggingPastTheBoundIsExcludedAndReadmittedOnceCaughtUp(MariaDbCluster cluster)
      throws Exception {
    List<HikariDataSource> pools = new ArrayList<>();
    HikariDataSource primary =
        ReplicaRoutingReplicationTest.primaryPool("lag-primary", cluster.primary().jdbcUrl());
    pools.add(primary);
    RoutingConfig.Builder config =
        RoutingConfig.custom()
            .primary("primary", primary)
            .tokenKey("lagging-replica-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8))
            .policy(
                RoutingPolicy.custom()
                    .sampleInterval(Duration.ofMillis(100))
                    .sampleExpiry(Duration.ofSeconds(10))
                    .maxReplicaLag(Duration.ofSeconds(1))
                    .readmitAfterSamples(3)
                    .probeTimeout(Duration.ofSeconds(5))
                    .build());
    for (MariaDbReplica r : cluster.replicas()) {
      HikariDataSource p = ReplicaRoutingReplicationTest.pool("lag-" + r.name(), r.jdbcUrl());
      pools.add(p);
      config.replica(r.name(), p);
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    Thread writer = null;
    try (ReplicaRoutingDataSource ds = new ReplicaRoutingDataSource(config.build())) {
      execute(primary, "CREATE TABLE " + TABLE + " (id BIGINT PRIMARY KEY, v BIGINT)");
      execute(primary, "INSERT INTO " + TABLE + " VALUES (1, 0)");
      cluster.awaitReplicasCaughtUp(DEADLINE);
      MariaDbReplica lagger = cluster.replica(0);
      await(
          ds,
          "both replicas admitted",
          () -> admitted(ds, lagger) && admitted(ds, cluster.replica(1)));

      lagger.stopReplication();
      writer =
          new Thread(
              () -> {
                long v = 0;
                while (!stop.get()) {
                  try {
                    execute(primary, "UPDATE " + TABLE + " SET v = " + (++v) + " WHERE id = 1");
                    Thread.sleep(50);
                  } catch (Throwable e) {
                    writerFailure.set(e);
                    return;
                  }
                }
              });
      writer.start();
      await(ds, "the lagging replica excluded", () -> !admitted(ds, lagger));
      assertThat(admitted(ds, cluster.replica(1))).as("the streaming replica").isTrue();
      for (int i = 0; i < 30; i++) {
        assertThat(readPort(ds))
            .as("read %d while the lagging replica is excluded", i)
            .isNotEqualTo(lagger.port());
      }

      lagger.startReplication();
      await(ds, "the caught-up replica re-admitted", () -> admitted(ds, lagger));
      await(ds, "the re-admitted replica serves reads", () -> readPort(ds) == lagger.port());
      stop.set(true);
      writer.join();
      assertThat(writerFailure.get()).isNull();
    } finally {
      stop.set(true);
      if (writer != null) {
        writer.join();
      }
      try {
        execute(primary, "DROP TABLE IF EXISTS " + TABLE);
      } finally {
        pools.forEach(HikariDataSource::close);
      }
    }
  }

  static boolean admitted(ReplicaRoutingDataSource ds, MariaDbReplica r) {
    return ds.lagView().replicas().stream()
        .filter(s -> s.name().equals(r.name()))
        .anyMatch(ReplicaStatus::admitted);
  }

  static int readPort(ReplicaRoutingDataSource ds) {
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      try (PreparedStatement ps = c.prepareStatement("SELECT @@port");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  static void execute(javax.sql.DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  static void await(
      ReplicaRoutingDataSource ds, String what, java.util.function.BooleanSupplier condition) {
    RoutingScenarios.awaitTrue(ds, DEADLINE, what, condition);
  }
}
