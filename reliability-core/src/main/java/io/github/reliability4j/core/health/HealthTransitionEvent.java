package io.github.reliability4j.core.health;

import java.time.Instant;
import java.util.Objects;

/**
 * A change of a probe's reported status, after hysteresis.
 *
 * @param probe the probe name
 * @param from the status reported before ({@code UNKNOWN} before the first result)
 * @param to the status reported from now on
 * @param reason why: the threshold reached and the latest result's output or outcome
 * @param result the result that caused the transition
 * @param time when the transition happened (evaluator clock)
 */
public record HealthTransitionEvent(
    String probe,
    HealthStatus from,
    HealthStatus to,
    String reason,
    ProbeResult result,
    Instant time) {

  public HealthTransitionEvent {
    Objects.requireNonNull(probe, "probe");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(time, "time");
  }
}
