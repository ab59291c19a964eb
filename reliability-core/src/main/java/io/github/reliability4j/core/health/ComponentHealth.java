package io.github.reliability4j.core.health;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The reported health of one registered probe or group, as seen in a {@link HealthSnapshot}.
 * Immutable.
 *
 * @param name the probe or group name (health+json {@code componentId})
 * @param measurement the measurement part of the key
 * @param componentType health+json {@code componentType}, or null
 * @param kinds where it counts
 * @param weight how much it counts
 * @param status the reported status: after hysteresis, {@code UNKNOWN} when stale or pending
 * @param result the latest result (raw status, observed value, output, time); for a stale result
 *     its status is {@code UNKNOWN} and its outcome {@link ProbeResult.Outcome#STALE}; for a group
 *     a result computed from its members
 * @param since when {@code status} was last changed by a transition, or null
 * @param members member names for a group, empty for a probe
 */
public record ComponentHealth(
    String name,
    String measurement,
    String componentType,
    Set<ProbeKind> kinds,
    ProbeWeight weight,
    HealthStatus status,
    ProbeResult result,
    Instant since,
    List<String> members) {

  public ComponentHealth {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(measurement, "measurement");
    kinds = Set.copyOf(kinds);
    Objects.requireNonNull(weight, "weight");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(result, "result");
    members = List.copyOf(members);
  }

  /** Returns the health+json key {@code name:measurement}. */
  public String key() {
    return name + ":" + measurement;
  }

  public boolean isGroup() {
    return !members.isEmpty();
  }

  /** Returns what this component contributes to an aggregate, given its weight. */
  public HealthStatus contribution() {
    return weight.contribution(status);
  }
}
