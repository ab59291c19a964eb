package io.github.reliability4j.jdbc.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthCheckerConfig;
import io.github.reliability4j.core.health.HealthSnapshot;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeGroup;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.health.ProbeWeight;
import io.github.reliability4j.core.routing.ReplicaLagView;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Replica probes against real streaming replicas: paused replay, stopped replica. */
@ReplicatedPostgres(replicas = 2)
class ReplicaProbesTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ProbeContext CTX =
      new ProbeContext("replicas", Instant.now(), Duration.ofSeconds(5));

  @Test
  void pausingReplayPastTheThresholdTurnsTheLagProbeWarn(PostgresCluster cluster) throws Exception {
    SqlReplicaLagView source = source(cluster);
    ReplicaLagProbe lag =
        ReplicaLagProbe.builder(source)
            .replica("replica-0")
            .warnLagBytes(64 * 1024)
            .failLagBytes(512L * 1024 * 1024)
            .build();
    cluster.awaitReplicasCaughtUp(WAIT);
    assertThat(lag.check(CTX).status()).isEqualTo(HealthStatus.PASS);

    cluster.replica(0).pauseReplay();
    try {
      write(cluster, "health_lag_a", 20_000);
      ProbeResult warn =
          Poll.until(WAIT, () -> lag.check(CTX), r -> r.status() == HealthStatus.WARN);
      assertThat(warn.observedUnit()).isEqualTo("bytes");
      assertThat(((Number) warn.observedValue()).longValue()).isGreaterThanOrEqualTo(64 * 1024);
      assertThat(warn.output()).startsWith("replica-0 lag").contains("warn threshold");
      assertThat(
              ReplicaLagProbe.builder(source)
                  .replica("replica-1")
                  .warnLagBytes(64 * 1024)
                  .build()
                  .check(CTX)
                  .status())
          .as("the other replica keeps up")
          .isEqualTo(HealthStatus.PASS);
    } finally {
      cluster.replica(0).resumeReplay();
    }
    cluster.replica(0).awaitCaughtUp(WAIT);
    Poll.until(WAIT, () -> lag.check(CTX), r -> r.status() == HealthStatus.PASS);
  }

  @Test
  void aStoppedReplicaFailsItsProbeAndDegradesATwoOfTwoGroup(PostgresCluster cluster) {
    SqlReplicaLagView source = source(cluster);
    try (HealthChecker checker =
        HealthChecker.builder()
            .name("replica-test")
            .config(
                HealthCheckerConfig.custom()
                    .interval(Duration.ofMillis(200))
                    .failingInterval(Duration.ofMillis(200))
                    .deadline(Duration.ofSeconds(10))
                    .jitter(0)
                    .recoveryThreshold(1)
                    .build())
            .probe(
                ProbeRegistration.builder(
                        "replica-0", ReplicaLagProbe.builder(source).replica("replica-0").build())
                    .componentType("datastore")
                    .kinds()
                    .build())
            .probe(
                ProbeRegistration.builder(
                        "replica-1", ReplicaLagProbe.builder(source).replica("replica-1").build())
                    .componentType("datastore")
                    .kinds()
                    .build())
            .probe(
                ProbeRegistration.builder(
                        "replica-count",
                        ReplicaAvailabilityProbe.builder(source)
                            .expectedReplicas("replica-0", "replica-1")
                            .minAvailable(1)
                            .build())
                    .weight(ProbeWeight.DEGRADING)
                    .build())
            .group(
                ProbeGroup.kOfN("replicas", 2, "replica-0", "replica-1")
                    .weight(ProbeWeight.DEGRADING)
                    .build())
            .build()) {
      checker.start();
      Poll.until(
          WAIT,
          checker::snapshot,
          s -> s.report(ProbeKind.READINESS).status() == HealthStatus.PASS);

      cluster.replica(1).stop();
      try {
        HealthSnapshot degraded =
            Poll.until(
                WAIT,
                checker::snapshot,
                s ->
                    s.component("replicas").status() == HealthStatus.FAIL
                        && s.component("replica-count").status() == HealthStatus.WARN);
        assertThat(degraded.component("replica-1").status()).isEqualTo(HealthStatus.FAIL);
        assertThat(degraded.component("replica-1").result().output())
            .startsWith("replica-1 unavailable");
        assertThat(degraded.component("replica-0").status()).isEqualTo(HealthStatus.PASS);
        assertThat(degraded.component("replica-count").result().observedValue()).isEqualTo(1);
        assertThat(degraded.report(ProbeKind.READINESS).status())
            .as("degrading weights: replicas down degrade, never fail, readiness")
            .isEqualTo(HealthStatus.WARN);
        assertThat(degraded.report(ProbeKind.READINESS).httpStatus()).isEqualTo(200);
      } finally {
        cluster.replica(1).start();
      }
      Poll.until(
          WAIT,
          checker::snapshot,
          s -> s.report(ProbeKind.READINESS).status() == HealthStatus.PASS);
    }
  }

  @Test
  void staleOrMissingSamplesAreNotReportedAsHealthy() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    ReplicaLagView source =
        LagViews.of(
            LagViews.available("fresh", Duration.ofMillis(10), 0, now),
            LagViews.available("old", Duration.ZERO, 0, now.minusSeconds(31)),
            LagViews.available("slow", Duration.ofSeconds(5), -1, now),
            LagViews.unavailable("down", now, "connection refused"));
    ReplicaLagProbe.Builder b = ReplicaLagProbe.builder(source).clock(clock);
    assertThat(b.replica("fresh").build().check(CTX).status()).isEqualTo(HealthStatus.PASS);
    assertThat(b.replica("old").build().check(CTX).status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(b.replica("slow").build().check(CTX).status()).isEqualTo(HealthStatus.WARN);
    assertThat(b.replica("down").build().check(CTX).output())
        .isEqualTo("down unavailable: connection refused");
    assertThat(b.replica("ghost").build().check(CTX).status()).isEqualTo(HealthStatus.FAIL);
    ProbeResult all = ReplicaLagProbe.builder(source).clock(clock).build().check(CTX);
    assertThat(all.status()).isEqualTo(HealthStatus.FAIL);
    assertThat(all.observedValue()).isEqualTo(5000.0);
    assertThat(all.details()).containsKeys("fresh", "old", "slow", "down");

    ProbeResult count =
        ReplicaAvailabilityProbe.builder(source).minAvailable(3).clock(clock).build().check(CTX);
    assertThat(count.status()).isEqualTo(HealthStatus.FAIL);
    assertThat(count.output()).startsWith("2 of 4 replicas available, 3 required");
    assertThatThrownBy(
            () ->
                ReplicaAvailabilityProbe.builder(source)
                    .expectedReplicas("a", "b")
                    .minAvailable(3)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("minAvailable (3) exceeds the number of expected replicas (2)");
    assertThatThrownBy(
            () ->
                ReplicaLagProbe.builder(source)
                    .warnLag(Duration.ofSeconds(5))
                    .failLag(Duration.ofSeconds(1))
                    .build())
        .isInstanceOf(IllegalStateException.class);
  }

  private static SqlReplicaLagView source(PostgresCluster cluster) {
    return new SqlReplicaLagView(
        cluster.primary().dataSource(),
        Map.of(
            "replica-0", cluster.replica(0).dataSource(),
            "replica-1", cluster.replica(1).dataSource()),
        Clock.systemUTC());
  }

  private static void write(PostgresCluster cluster, String table, int rows) throws SQLException {
    try (Connection c = cluster.primary().dataSource().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS " + table + " (id int, payload text)");
      st.execute(
          "INSERT INTO "
              + table
              + " SELECT g, repeat('x', 50) FROM generate_series(1, "
              + rows
              + ") g");
    }
  }
}
