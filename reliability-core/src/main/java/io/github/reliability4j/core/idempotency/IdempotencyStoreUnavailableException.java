package io.github.reliability4j.core.idempotency;

/**
 * The store failed, timed out or its circuit breaker is open, and the operation's {@link
 * OutagePolicy} is {@link OutagePolicy#FAIL_CLOSED}: the action was not run. Retryable (HTTP 503).
 */
public class IdempotencyStoreUnavailableException extends IdempotencyException {

  private static final long serialVersionUID = 1L;

  public IdempotencyStoreUnavailableException(IdempotencyKey key, Throwable cause) {
    super(
        key,
        "Idempotency store unavailable for "
            + key
            + " ("
            + cause
            + "); the action was not run (outagePolicy FAIL_CLOSED); retry later with the same key",
        cause);
  }

  @Override
  public boolean isRetryable() {
    return true;
  }
}
