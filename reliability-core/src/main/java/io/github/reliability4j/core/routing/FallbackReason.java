package io.github.reliability4j.core.routing;

/** Why a read did not go where its read preference pointed first. */
public enum FallbackReason {
  /** No replica is configured. */
  NO_REPLICAS,
  /** Every replica is excluded: over the lag limit, unknown lag, open circuit breaker. */
  NO_ELIGIBLE_REPLICA,
  /** No replica's known position covered the session's token, and the bounded wait ran out. */
  TOKEN_NOT_COVERED,
  /** The session carries an imported token that failed verification. */
  UNTRUSTED_TOKEN,
  /** No replica satisfied the bounded-staleness limit. */
  STALENESS_BOUND,
  /** Connecting to every qualifying replica failed. */
  REPLICA_CONNECTION_FAILED,
  /** The primary was unreachable (for primary-preferred reads served by a replica). */
  PRIMARY_UNREACHABLE,
  /**
   * The primary was unreachable and nothing qualified: served by the freshest replica, possibly
   * stale.
   */
  SERVED_POSSIBLY_STALE
}
