package io.github.reliability4j.core.idempotency;

import java.time.Instant;

/**
 * The key is being executed by another owner (HTTP 409). Nothing was run and nothing was stored;
 * the request is safe to retry later with the same key.
 */
public class IdempotencyConflictException extends IdempotencyException {

  private static final long serialVersionUID = 1L;

  private final Instant leaseExpiry;
  private final boolean waited;

  public IdempotencyConflictException(IdempotencyKey key, Instant leaseExpiry, boolean waited) {
    super(
        key,
        "Request with "
            + key
            + " is already in progress (lease expires at "
            + leaseExpiry
            + (waited ? "; waited for the configured waitTimeout" : "")
            + "); retry later with the same key",
        null);
    this.leaseExpiry = leaseExpiry;
    this.waited = waited;
  }

  /** When the current owner's lease ends unless renewed; a hint for Retry-After. */
  public Instant getLeaseExpiry() {
    return leaseExpiry;
  }

  /** True if the engine waited ({@link ConcurrencyMode#WAIT}) before giving up. */
  public boolean isWaited() {
    return waited;
  }

  @Override
  public boolean isRetryable() {
    return true;
  }
}
