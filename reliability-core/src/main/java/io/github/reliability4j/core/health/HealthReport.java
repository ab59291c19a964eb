package io.github.reliability4j.core.health;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The aggregate health of one {@link ProbeKind} at one instant. Immutable.
 *
 * <p>The status is the most severe contribution of the included components (see {@link
 * ProbeWeight#contribution(HealthStatus)}), further constrained by the lifecycle: readiness is
 * {@code FAIL} while starting or draining, startup is {@code PASS} once it has latched, everything
 * is {@code FAIL} after close. An empty kind is {@code PASS}.
 *
 * @param kind the kind reported
 * @param status the aggregate status
 * @param output why the lifecycle overrode the probes ({@code starting}, {@code draining}, ...), or
 *     null
 * @param components the components counting in {@code kind}, in registration order (probes first,
 *     then groups)
 * @param lifecycle the checker's lifecycle state when the snapshot was taken
 * @param time when the snapshot was taken
 */
public record HealthReport(
    ProbeKind kind,
    HealthStatus status,
    String output,
    List<ComponentHealth> components,
    LifecycleState lifecycle,
    Instant time) {

  public HealthReport {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(status, "status");
    components = List.copyOf(components);
    Objects.requireNonNull(lifecycle, "lifecycle");
    Objects.requireNonNull(time, "time");
  }

  /** Returns the HTTP status code: 200 for PASS and WARN, 503 for FAIL and UNKNOWN. */
  public int httpStatus() {
    return status.httpStatus();
  }
}
