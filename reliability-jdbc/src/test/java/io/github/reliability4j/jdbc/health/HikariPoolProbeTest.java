package io.github.reliability4j.jdbc.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthCheckerConfig;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.health.ProbeWeight;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A real HikariCP pool over real PostgreSQL, exhausted by real borrowers. */
@ReplicatedPostgres(replicas = 0)
class HikariPoolProbeTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void exhaustingThePoolTurnsReadinessWarnThenFailWhileLivenessStaysPass(PostgresCluster cluster)
      throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(cluster.primary().jdbcUrl());
    config.setMaximumPoolSize(4);
    config.setMinimumIdle(4);
    config.setConnectionTimeout(60_000);
    config.setPoolName("health-test");
    List<Connection> borrowed = new ArrayList<>();
    ExecutorService waiters = Executors.newFixedThreadPool(4);
    try (HikariDataSource pool = new HikariDataSource(config);
        JdbcConnectivityProbe connectivity =
            JdbcConnectivityProbe.of(ConnectionFactory.ofUnpooled(cluster.primary().dataSource()));
        HealthChecker checker =
            HealthChecker.builder()
                .name("hikari-test")
                .config(
                    HealthCheckerConfig.custom()
                        .interval(Duration.ofMillis(100))
                        .failingInterval(Duration.ofMillis(100))
                        .deadline(Duration.ofSeconds(5))
                        .jitter(0)
                        .recoveryThreshold(1)
                        .build())
                .probe(
                    ProbeRegistration.builder(
                            "pool",
                            HikariPoolProbe.builder(pool)
                                .warnUtilization(1.0)
                                .failThreadsAwaiting(3)
                                .build())
                        .componentType("component")
                        .measurement("utilization")
                        .build())
                .probe(
                    ProbeRegistration.builder("primary-db", connectivity)
                        .componentType("datastore")
                        .measurement("responseTime")
                        .build())
                .probe(
                    ProbeRegistration.builder("process", ctx -> ProbeResult.pass())
                        .internal()
                        .kinds(ProbeKind.LIVENESS)
                        .build())
                .build()) {
      checker.start();
      awaitReadiness(checker, HealthStatus.PASS);
      Poll.until(WAIT, () -> pool.getHikariPoolMXBean().getIdleConnections(), idle -> idle == 4);

      for (int i = 0; i < 4; i++) {
        borrowed.add(pool.getConnection());
      }
      var warn =
          Poll.until(
              WAIT,
              checker::snapshot,
              s ->
                  s.report(ProbeKind.READINESS).status() == HealthStatus.WARN
                      && Integer.valueOf(4)
                          .equals(s.component("pool").result().details().get("active")));
      assertThat(warn.component("pool").result().details())
          .containsEntry("active", 4)
          .containsEntry("threadsAwaiting", 0);
      assertThat(warn.component("primary-db").status())
          .as("the database itself is fine: the dedicated connection is not from the pool")
          .isEqualTo(HealthStatus.PASS);
      assertThat(warn.report(ProbeKind.LIVENESS).status()).isEqualTo(HealthStatus.PASS);

      List<Future<Connection>> waiting = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        java.util.concurrent.Callable<Connection> borrow = pool::getConnection;
        waiting.add(waiters.submit(borrow));
      }
      var fail = awaitReadiness(checker, HealthStatus.FAIL);
      assertThat(fail.component("pool").result().output()).startsWith("pool exhausted:");
      assertThat((Integer) fail.component("pool").result().details().get("threadsAwaiting"))
          .isGreaterThanOrEqualTo(3);
      assertThat(fail.component("primary-db").status()).isEqualTo(HealthStatus.PASS);
      assertThat(fail.report(ProbeKind.LIVENESS).status()).isEqualTo(HealthStatus.PASS);
      assertThat(fail.report(ProbeKind.READINESS).httpStatus()).isEqualTo(503);

      for (Connection c : borrowed) {
        c.close();
      }
      borrowed.clear();
      for (Future<Connection> f : waiting) {
        f.get(30, TimeUnit.SECONDS).close();
      }
      awaitReadiness(checker, HealthStatus.PASS);
    } finally {
      for (Connection c : borrowed) {
        c.close();
      }
      waiters.shutdownNow();
    }
  }

  @Test
  void threadsWaitingPastTheBoundAndAcquireTimeoutsFailWhileMomentarySaturationWarns(
      PostgresCluster cluster) throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(cluster.primary().jdbcUrl());
    config.setMaximumPoolSize(2);
    config.setConnectionTimeout(60_000);
    AtomicLong timeouts = new AtomicLong();
    List<Connection> borrowed = new ArrayList<>();
    ExecutorService waiters = Executors.newSingleThreadExecutor();
    try (HikariDataSource pool = new HikariDataSource(config)) {
      HikariPoolProbe probe =
          HikariPoolProbe.builder(pool)
              .failWaitingFor(Duration.ofSeconds(5))
              .acquireTimeouts(timeouts::get)
              .acquireTimeoutWindow(Duration.ofSeconds(10))
              .build();
      Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
      assertThat(probe.check(at(t0)).status()).isEqualTo(HealthStatus.PASS);
      borrowed.add(pool.getConnection());
      borrowed.add(pool.getConnection());
      assertThat(probe.check(at(t0.plusSeconds(1))).output()).startsWith("pool saturated:");

      java.util.concurrent.Callable<Connection> borrow = pool::getConnection;
      Future<Connection> waiter = waiters.submit(borrow);
      Poll.until(
          WAIT, () -> pool.getHikariPoolMXBean().getThreadsAwaitingConnection(), n -> n == 1);
      assertThat(probe.check(at(t0.plusSeconds(2))).status())
          .as("a waiter just arrived: momentary")
          .isEqualTo(HealthStatus.WARN);
      assertThat(probe.check(at(t0.plusMillis(6_999))).status()).isEqualTo(HealthStatus.WARN);
      ProbeResult stuck = probe.check(at(t0.plusSeconds(7)));
      assertThat(stuck.status()).isEqualTo(HealthStatus.FAIL);
      assertThat(stuck.output())
          .startsWith("pool exhausted: threads waiting for a connection for 5000 ms ≥ 5000 ms");

      borrowed.remove(0).close();
      borrowed.add(waiter.get(30, TimeUnit.SECONDS));
      assertThat(probe.check(at(t0.plusSeconds(8))).status())
          .as("nobody waits any more: the bound starts over")
          .isEqualTo(HealthStatus.WARN);

      // a request that timed out, as the pool's metrics tracker would count it
      timeouts.incrementAndGet();
      ProbeResult timedOut = probe.check(at(t0.plusSeconds(9)));
      assertThat(timedOut.status()).isEqualTo(HealthStatus.FAIL);
      assertThat(timedOut.output()).contains("1 connection requests timed out in the last PT10S");
      assertThat(timedOut.details()).containsEntry("acquireTimeouts", 1);
      assertThat(probe.check(at(t0.plusSeconds(18))).status()).isEqualTo(HealthStatus.FAIL);
      assertThat(probe.check(at(t0.plusSeconds(19))).status())
          .as("the window has passed")
          .isEqualTo(HealthStatus.WARN);
      for (Connection c : borrowed) {
        c.close();
      }
      borrowed.clear();
      assertThat(probe.check(at(t0.plusSeconds(20))).status()).isEqualTo(HealthStatus.PASS);
    } finally {
      for (Connection c : borrowed) {
        closeQuietly(c);
      }
      waiters.shutdownNow();
    }
    assertThatThrownBy(
            () -> HikariPoolProbe.builder(new HikariDataSource()).failWaitingFor(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failWaitingFor must be positive, but was PT0S");
  }

  private static ProbeContext at(Instant now) {
    return new ProbeContext("pool", now, Duration.ofSeconds(1));
  }

  @Test
  void aClosedPoolIsUnknownAndThresholdsAreValidated(PostgresCluster cluster) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(cluster.primary().jdbcUrl());
    config.setMaximumPoolSize(2);
    HikariDataSource pool = new HikariDataSource(config);
    HikariPoolProbe probe = HikariPoolProbe.of(pool);
    ProbeContext ctx = new ProbeContext("pool", Instant.now(), Duration.ofSeconds(1));
    assertThat(probe.check(ctx).status()).isEqualTo(HealthStatus.PASS);
    pool.close();
    assertThat(probe.check(ctx).status()).isEqualTo(HealthStatus.UNKNOWN);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                HikariPoolProbe.builder(pool).warnThreadsAwaiting(2).failThreadsAwaiting(2).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("failThreadsAwaiting (2) must be greater than warnThreadsAwaiting (2)");
    assertThat(ProbeWeight.DEGRADING.contribution(HealthStatus.FAIL)).isEqualTo(HealthStatus.WARN);
  }

  private static io.github.reliability4j.core.health.HealthSnapshot awaitReadiness(
      HealthChecker checker, HealthStatus status) {
    return Poll.until(
        WAIT, checker::snapshot, s -> s.report(ProbeKind.READINESS).status() == status);
  }

  static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // test cleanup
    }
  }
}
