package io.github.reliability4j.spring.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.RoutingListener;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicaNode;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * What a replica pool logs while its replica stays down: the README's outage-log paragraph quotes
 * these counts. A pool built the way {@link RoutingDataSourcePostProcessor} builds it (named after
 * its node, started lazily) logs its start once and nothing per attempt, whether its replica went
 * down after the start or was down before it; a pool started eagerly (HikariCP's default, e.g. one
 * named in {@code reliability.routing.replica-beans}) retries its start on every attempt. Counted
 * by lines naming the pool, per attempt, not by time.
 */
@ReplicatedPostgres(replicas = 1)
@ExtendWith(OutputCaptureExtension.class)
class DownReplicaPoolLogTest {

  private static final int ATTEMPTS = 5;

  @Test
  void aStartedPoolWhoseReplicaStaysDownLogsNothingPerAttempt(
      PostgresCluster cluster, CapturedOutput output) throws Exception {
    ReplicaNode replica = cluster.replica(0);
    // Started eagerly, as before the library started its pools lazily: how many pooled connections
    // exist when the replica stops (one WARN each) then does not depend on the background fill.
    HikariDataSource pool = eagerPool(replica);
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
   * Why the library starts its replica pools lazily: an eagerly started pool (HikariCP's default
   * {@code initializationFailTimeout}) whose replica was down before it ever started retries its
   * start, and logs {@code Starting...}, on every attempt.
   */
  @Test
  void anEagerPoolThatNeverStartedLogsItsStartOnEveryAttempt(
      PostgresCluster cluster, CapturedOutput output) throws Exception {
    ReplicaNode replica = cluster.replica(0);
    replica.stop();
    HikariDataSource pool = eagerPool(replica);
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

  /**
   * The full Spring wiring with a replica that is down from the start (nothing listens on its
   * port): its pool logs {@code Starting...} once, not per replica sample or routed read; the
   * outage is reported once (the outage log's transition line, and no repeat within the minute);
   * routed reads go to the primary without waiting for the replica's pool (whose own connection
   * timeout, 30 s, is never waited for: the lag monitor's attempts are bounded by {@code
   * replicaConnectTimeout}).
   */
  @Test
  void aReplicaDownFromTheStartLogsItsPoolStartOnceAndReadsUseThePrimary(
      PostgresCluster cluster, CapturedOutput output) throws Exception {
    int deadPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      deadPort = socket.getLocalPort();
    }
    FailedSamples failed = new FailedSamples();
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                DataSourceAutoConfiguration.class, RoutingAutoConfiguration.class))
        .withBean(FailedSamples.class, () -> failed)
        .withPropertyValues(
            "spring.datasource.url=" + cluster.primary().jdbcUrl(),
            "spring.datasource.username=postgres",
            "spring.datasource.hikari.connection-timeout=30000",
            "reliability.routing.sample-interval=200ms",
            "reliability.routing.replicas[0].url=jdbc:postgresql://127.0.0.1:"
                + deadPort
                + "/postgres")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              DataSource ds = ctx.getBean(DataSource.class);
              assertThat(ds).isInstanceOf(RoutedDataSource.class);
              failed.await(2);
              int poolLinesBefore = lines(output);
              int samplesBefore = failed.count.get();
              for (int i = 0; i < ATTEMPTS; i++) {
                long start = System.nanoTime();
                try (Connection c = ds.getConnection()) {
                  c.setReadOnly(true);
                  try (Statement s = c.createStatement();
                      ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getBoolean(1)).as("served by the primary").isFalse();
                  }
                }
                assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .as("a routed read never waits the replica pool's own timeout")
                    .isLessThan(Duration.ofSeconds(30));
              }
              failed.await(samplesBefore + 3);
              String all = output.getAll();
              assertThat(lines(output) - poolLinesBefore)
                  .as(
                      "pool lines during %d reads and %d failed samples: %s",
                      ATTEMPTS, failed.count.get() - samplesBefore, all)
                  .isZero();
              assertThat(all.lines().filter(l -> l.contains("reliability-replica-0 - Starting")))
                  .as(all)
                  .hasSize(1);
              assertThat(all.lines().filter(l -> l.contains("replica 'replica-0' is down")))
                  .as(all)
                  .hasSize(1);
              assertThat(all.lines().filter(l -> l.contains("replica 'replica-0' is still down")))
                  .as("no repeat within the first minute")
                  .isEmpty();
            });
  }

  /** Counts the lag monitor's failed samples of replica-0. */
  static final class FailedSamples implements RoutingListener {
    final AtomicInteger count = new AtomicInteger();

    @Override
    public void onLagSample(LagSample sample) {
      if ("replica-0".equals(sample.replica()) && sample.error() != null) {
        count.incrementAndGet();
      }
    }

    void await(int atLeast) throws InterruptedException {
      long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (count.get() < atLeast) {
        if (System.nanoTime() - end > 0) {
          throw new AssertionError("fewer than " + atLeast + " failed samples: " + count.get());
        }
        Thread.sleep(20);
      }
    }
  }

  private static HikariDataSource eagerPool(ReplicaNode replica) {
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
