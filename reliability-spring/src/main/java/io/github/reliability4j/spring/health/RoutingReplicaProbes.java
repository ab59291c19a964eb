package io.github.reliability4j.spring.health;

import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.jdbc.health.ReplicaAvailabilityProbe;
import io.github.reliability4j.jdbc.health.ReplicaLagSample;
import io.github.reliability4j.jdbc.health.ReplicaLagSource;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Replica availability from the router's own lag monitor: the probe reads the monitor's last
 * samples and never queries a replica itself.
 */
final class RoutingReplicaProbes {

  private RoutingReplicaProbes() {}

  static ReplicaLagSource source(ReplicaRoutingDataSource routing, Clock clock) {
    return () -> {
      List<ReplicaLagSample> samples = new ArrayList<>();
      for (ReplicaStatus r : routing.lagView().replicas()) {
        LagSample s = r.lastSample();
        if (s == null || !s.isKnown() || s.error() != null || s.lag() == null) {
          samples.add(
              ReplicaLagSample.unavailable(
                  r.name(),
                  s == null || s.sampledAt() == null ? clock.instant() : s.sampledAt(),
                  s != null && s.error() != null ? String.valueOf(s.error()) : "lag unknown"));
        } else if (!r.admitted()) {
          samples.add(
              ReplicaLagSample.unavailable(r.name(), s.sampledAt(), "not admitted for reads"));
        } else {
          samples.add(ReplicaLagSample.available(r.name(), s.lag(), s.lagBytes(), s.sampledAt()));
        }
      }
      return samples;
    };
  }

  static ReplicaAvailabilityProbe availability(
      ReplicaRoutingDataSource routing, java.util.Collection<String> replicas) {
    return ReplicaAvailabilityProbe.builder(source(routing, Clock.systemUTC()))
        .expectedReplicas(replicas.toArray(String[]::new))
        .build();
  }
}
