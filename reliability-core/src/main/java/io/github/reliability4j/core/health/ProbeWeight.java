package io.github.reliability4j.core.health;

/**
 * How much a probe counts in the aggregate of a {@link ProbeKind}.
 *
 * <ul>
 *   <li>{@link #CRITICAL}: contributes its status unchanged; a failing critical probe fails the
 *       aggregate.
 *   <li>{@link #DEGRADING}: contributes at most {@link HealthStatus#WARN}; a failing or unknown
 *       degrading probe degrades the aggregate but never fails it.
 *   <li>{@link #INFORMATIONAL}: contributes {@link HealthStatus#PASS}; it is reported but never
 *       changes the aggregate.
 * </ul>
 */
public enum ProbeWeight {
  CRITICAL,
  DEGRADING,
  INFORMATIONAL;

  /** Returns what a probe of this weight with status {@code status} contributes to an aggregate. */
  public HealthStatus contribution(HealthStatus status) {
    switch (this) {
      case CRITICAL:
        return status;
      case DEGRADING:
        return status == HealthStatus.PASS ? HealthStatus.PASS : HealthStatus.WARN;
      default:
        return HealthStatus.PASS;
    }
  }
}
