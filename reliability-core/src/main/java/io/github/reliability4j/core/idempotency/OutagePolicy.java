package io.github.reliability4j.core.idempotency;

/** What the engine does when the store fails, times out or its circuit breaker is open. */
public enum OutagePolicy {
  /**
   * Do not run the action; throw {@link IdempotencyStoreUnavailableException} (retryable). The
   * default: no duplicate can ever slip through, at the price of availability.
   */
  FAIL_CLOSED,
  /**
   * Run the action without deduplication; publish a {@code FAIL_OPEN} event and log a warning.
   * Choose only for actions whose duplicates are cheaper than their unavailability. Note: a claim
   * that timed out may still succeed later inside the store; its orphaned in-progress record then
   * answers "in progress" to retries until its lease expires.
   */
  FAIL_OPEN
}
