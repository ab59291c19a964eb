package io.github.reliability4j.spring.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicaNode;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * What a replica pool built the way {@link RoutingDataSourcePostProcessor} builds it logs while its
 * replica, up when the pool started, stays down: the README's outage-log paragraph quotes these
 * counts. Counted by lines naming the pool, per attempt, not by time.
 */
@ReplicatedPostgres(replicas = 1)
@ExtendWith(OutputCaptureExtension.class)
class DownReplicaPoolLogTest {

  private static final int ATTEMPTS = 5;

  @Test
  void aStartedPoolWhoseReplicaStaysDownLogsNothingPerAttempt(
      PostgresCluster cluster, CapturedOutput output) throws Exception {
    ReplicaNode replica = cluster.replica(0);
    HikariDataSource pool = pool(replica);
    try {
      try (Connection c = pool.getConnection()) {
        assertThat(c.isValid(5)).isTrue();
      }
      replica.stop();
      int before = lines(output);
      for (int i = 0; i < ATTEMPTS; i++) {
        assertThatThrownBy(DownReplicaPoolLogTest.attempt(pool)).isInstanceOf(SQLException.class);
      }
      int during = lines(output) - before;
      // one WARN "marked as broken" for the pooled connection the outage broke, none per attempt
      assertThat(during).as(output.getAll()).isEqualTo(1);
    } finally {
      pool.close();
      replica.start();
    }
  }

  /**
   * The one line the README documents as not silenced: a pool whose replica was down before it ever
   * started retries its start, and logs {@code Starting...}, on every attempt.
   */
  @Test
  void aNeverStartedPoolLogsItsStartOnEveryAttempt(PostgresCluster cluster, CapturedOutput output)
      throws Exception {
    ReplicaNode replica = cluster.replica(0);
    replica.stop();
    HikariDataSource pool = pool(replica);
    try {
      int before = lines(output);
      for (int i = 0; i < ATTEMPTS; i++) {
        assertThatThrownBy(DownReplicaPoolLogTest.attempt(pool)).isInstanceOf(SQLException.class);
      }
      assertThat(
              output.getAll().lines().filter(l -> l.contains("reliability-replica-0 - Starting")))
          .hasSize(ATTEMPTS);
      assertThat(lines(output) - before).isEqualTo(ATTEMPTS);
    } finally {
      pool.close();
      replica.start();
    }
  }

  private static HikariDataSource pool(ReplicaNode replica) {
    HikariDataSource pool =
        DataSourceBuilder.create()
            .type(HikariDataSource.class)
            .url(replica.jdbcUrl())
            .username("postgres")
            .build();
    RoutingDataSourcePostProcessor.namePool(pool, "reliability-replica-0");
    pool.setConnectionTimeout(1000);
    return pool;
  }

  /** What a replica sample or a routed read does: a connection and one statement. */
  private static org.assertj.core.api.ThrowableAssert.ThrowingCallable attempt(
      HikariDataSource pool) {
    return () -> {
      try (Connection c = pool.getConnection();
          java.sql.Statement s = c.createStatement()) {
        s.execute("SELECT 1");
      }
    };
  }

  private static int lines(CapturedOutput output) {
    return (int) output.getAll().lines().filter(l -> l.contains("reliability-replica-0")).count();
  }
}
