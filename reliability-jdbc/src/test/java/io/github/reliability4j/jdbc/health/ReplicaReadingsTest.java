package io.github.reliability4j.jdbc.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.ReplicaLagView;
import io.github.reliability4j.core.routing.ReplicaStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The two replica probes read one lag view by one rule: a replica the availability probe counts as
 * available is one the lag probe does not report unavailable, and the lag probe's output says why
 * the router excluded one (what the router measured, an open circuit breaker).
 */
class ReplicaReadingsTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final ProbeContext CTX = new ProbeContext("replicas", NOW, Duration.ofSeconds(1));

  private static ReplicaStatus status(
      String name, boolean admitted, String breaker, Duration lag, long bytes) {
    LagSample sample = new LagSample(name, NOW, null, bytes, lag, Duration.ZERO, null, admitted);
    return new ReplicaStatus(name, admitted, breaker, sample, null, 0);
  }

  @Test
  void anExcludedReplicaFailsWithWhatTheRouterMeasuredAndAnOpenBreaker() {
    ReplicaLagView view =
        LagViews.of(
            status("lagging", false, "CLOSED", Duration.ofSeconds(3), 10),
            status("unknown", false, "CLOSED", null, -1),
            status("broken", false, "OPEN", Duration.ZERO, 0),
            new ReplicaStatus("new", false, "CLOSED", null, null, 0));
    ReplicaLagProbe.Builder lag = ReplicaLagProbe.builder(view).clock(CLOCK);
    assertThat(lag.replica("lagging").build().check(CTX).output())
        .isEqualTo("lagging unavailable: not admitted for reads, lag 3000ms / 10 bytes");
    assertThat(lag.replica("unknown").build().check(CTX).output())
        .isEqualTo("unknown unavailable: not admitted for reads, lag unknown");
    assertThat(lag.replica("broken").build().check(CTX).output())
        .isEqualTo(
            "broken unavailable: not admitted for reads, lag 0ms / 0 bytes, circuit breaker OPEN");
    assertThat(lag.replica("new").build().check(CTX).output())
        .isEqualTo("new unavailable: not sampled yet");
  }

  @Test
  void bothProbesCountTheSameReplicasAsAvailable() {
    List<ReplicaStatus> replicas =
        List.of(
            status("ok", true, "CLOSED", Duration.ofMillis(5), 0),
            status("excluded", false, "CLOSED", Duration.ofSeconds(9), 0),
            LagViews.unavailable("down", NOW, "connection refused"),
            new ReplicaStatus("admitted-unsampled", true, "CLOSED", null, null, 0));
    ReplicaLagView view = LagViews.of(() -> replicas);
    ProbeResult count = ReplicaAvailabilityProbe.builder(view).clock(CLOCK).build().check(CTX);
    assertThat(count.details().get("available")).isEqualTo("ok");
    for (ReplicaStatus r : replicas) {
      HealthStatus lag =
          ReplicaLagProbe.builder(view).replica(r.name()).clock(CLOCK).build().check(CTX).status();
      boolean counted =
          List.of(((String) count.details().get("available")).split(",")).contains(r.name());
      assertThat(counted)
          .as(
              "%s: availability probe counts it iff the lag probe passes it (lag probe: %s)",
              r.name(), lag)
          .isEqualTo(lag == HealthStatus.PASS);
    }
  }
}
