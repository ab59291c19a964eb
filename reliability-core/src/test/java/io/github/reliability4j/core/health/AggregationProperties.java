package io.github.reliability4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

/** Aggregation is the most severe weighted contribution; no status is ever dropped. */
class AggregationProperties {

  @Property(tries = 500)
  void aggregateIsTheWorstWeightedContribution(
      @ForAll @Size(max = 12) List<HealthStatus> statuses,
      @ForAll @Size(min = 12, max = 12) List<ProbeWeight> weights) {
    Map<String, ComponentHealth> components = new LinkedHashMap<>();
    HealthStatus expected = HealthStatus.PASS;
    for (int i = 0; i < statuses.size(); i++) {
      HealthStatus s = statuses.get(i);
      ProbeWeight w = weights.get(i);
      components.put(
          "c" + i,
          new ComponentHealth(
              "c" + i,
              "status",
              null,
              Set.of(ProbeKind.READINESS),
              w,
              s,
              ProbeResult.builder(s).build(),
              null,
              List.of()));
      HealthStatus contribution =
          w == ProbeWeight.CRITICAL
              ? s
              : w == ProbeWeight.DEGRADING && s != HealthStatus.PASS
                  ? HealthStatus.WARN
                  : HealthStatus.PASS;
      if (contribution.ordinal() > expected.ordinal()) {
        expected = contribution;
      }
    }
    HealthReport report =
        new HealthSnapshot(components, LifecycleState.RUNNING, false, Instant.EPOCH)
            .report(ProbeKind.READINESS);
    assertThat(report.status()).isEqualTo(expected);
    assertThat(report.components()).hasSize(statuses.size());
    for (int i = 0; i < statuses.size(); i++) {
      if (weights.get(i) == ProbeWeight.CRITICAL) {
        assertThat(statuses.get(i).isWorseThan(report.status())).isFalse();
      }
    }
    assertThat(report.httpStatus()).isEqualTo(expected.isAvailable() ? 200 : 503);
  }
}
