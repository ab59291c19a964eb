package io.github.reliability4j.jdbc.health;

import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.ReplicaStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * How the replica probes read one {@link ReplicaStatus} of a {@link
 * io.github.reliability4j.core.routing.ReplicaLagView}: the rules both probes share, so "available"
 * means the same in both.
 */
final class ReplicaReadings {

  private ReplicaReadings() {}

  /**
   * Whether the replica serves reads: admitted by the router, and its last sample (if any) is not a
   * failed probe. An admitted replica without a sample counts as available but never sampled.
   */
  static boolean available(ReplicaStatus r) {
    LagSample s = r.lastSample();
    return r.admitted() && (s == null || s.error() == null);
  }

  /** When the replica was last sampled, or null if never. */
  static Instant sampledAt(ReplicaStatus r) {
    LagSample s = r.lastSample();
    return s == null ? null : s.sampledAt();
  }

  /** Whether the last sample is at most {@code maxAge} old. */
  static boolean fresh(ReplicaStatus r, Clock clock, Duration maxAge) {
    Instant at = sampledAt(r);
    return at != null && Duration.between(at, clock.instant()).compareTo(maxAge) <= 0;
  }

  /** The time lag of the last sample, or null if unknown. */
  static Duration lag(ReplicaStatus r) {
    LagSample s = r.lastSample();
    return s == null ? null : s.lag();
  }

  /** The byte lag of the last sample, or -1 if unknown. */
  static long lagBytes(ReplicaStatus r) {
    LagSample s = r.lastSample();
    return s == null ? -1 : s.lagBytes();
  }

  /**
   * Why an unavailable replica is not serving reads: the failed probe's message, else what its last
   * sample measured; plus the circuit breaker's state when it is not closed.
   */
  static String unavailableReason(ReplicaStatus r) {
    LagSample s = r.lastSample();
    String reason;
    if (s == null) {
      reason = "not sampled yet";
    } else if (s.error() != null) {
      reason = s.error().getMessage() != null ? s.error().getMessage() : s.error().toString();
    } else if (s.lag() == null) {
      reason = "not admitted for reads, lag unknown";
    } else {
      reason =
          "not admitted for reads, lag " + s.lag().toMillis() + "ms / " + s.lagBytes() + " bytes";
    }
    String breaker = r.circuitBreakerState();
    if (breaker != null && !"CLOSED".equals(breaker)) {
      reason += ", circuit breaker " + breaker;
    }
    return reason;
  }
}
