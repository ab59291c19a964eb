package io.github.reliability4j.core.health;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable view of every probe and group of a {@link HealthChecker} at one instant.
 *
 * <p>Snapshots are cheap to obtain and never run a probe: {@link HealthChecker#snapshot()} reads
 * the results the background evaluation last published (atomically, so a snapshot never mixes two
 * publications of one probe) and marks results older than their maximum age as {@code UNKNOWN}.
 */
public final class HealthSnapshot {
  private final Map<String, ComponentHealth> components;
  private final LifecycleState lifecycle;
  private final boolean startupSignalMissing;
  private final Instant time;

  HealthSnapshot(
      Map<String, ComponentHealth> components,
      LifecycleState lifecycle,
      boolean startupSignalMissing,
      Instant time) {
    this.components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
    this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
    this.startupSignalMissing = startupSignalMissing;
    this.time = Objects.requireNonNull(time, "time");
  }

  /** Returns every probe and group by name, probes first, in registration order. */
  public Map<String, ComponentHealth> components() {
    return components;
  }

  /**
   * Returns the component named {@code name}.
   *
   * @throws IllegalArgumentException if there is none
   */
  public ComponentHealth component(String name) {
    ComponentHealth c = components.get(name);
    if (c == null) {
      throw new IllegalArgumentException(
          "no probe or group named '" + name + "'; known: " + components.keySet());
    }
    return c;
  }

  public LifecycleState lifecycle() {
    return lifecycle;
  }

  public Instant time() {
    return time;
  }

  /** Aggregates the components counting in {@code kind}; see {@link HealthReport}. */
  public HealthReport report(ProbeKind kind) {
    Objects.requireNonNull(kind, "kind");
    List<ComponentHealth> included = new ArrayList<>();
    HealthStatus aggregate = HealthStatus.PASS;
    for (ComponentHealth c : components.values()) {
      if (c.kinds().contains(kind)) {
        included.add(c);
        aggregate = aggregate.worst(c.contribution());
      }
    }
    String output = null;
    if (lifecycle == LifecycleState.CLOSED) {
      aggregate = HealthStatus.FAIL;
      output = "health checker is closed";
    } else if (kind == ProbeKind.STARTUP) {
      if (lifecycle != LifecycleState.STARTING) {
        aggregate = HealthStatus.PASS;
        output = "startup complete";
      } else if (startupSignalMissing) {
        aggregate = HealthStatus.FAIL;
        output = "starting: waiting for markStartupComplete()";
      } else {
        output = "starting";
      }
    } else if (kind == ProbeKind.READINESS && lifecycle == LifecycleState.STARTING) {
      aggregate = HealthStatus.FAIL;
      output = "starting";
    } else if (kind == ProbeKind.READINESS && lifecycle == LifecycleState.DRAINING) {
      aggregate = HealthStatus.FAIL;
      output = "draining";
    }
    return new HealthReport(kind, aggregate, output, included, lifecycle, time);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("HealthSnapshot{").append(lifecycle).append(", ");
    components
        .values()
        .forEach(c -> sb.append(c.name()).append('=').append(c.status()).append(' '));
    return sb.append("@").append(time).append('}').toString();
  }
}
