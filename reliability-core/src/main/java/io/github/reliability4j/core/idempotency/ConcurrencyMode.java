package io.github.reliability4j.core.idempotency;

/** What a request does when the same key is in progress elsewhere. */
public enum ConcurrencyMode {
  /** Throw {@link IdempotencyConflictException} at once (HTTP 409). The default. */
  REJECT,
  /**
   * Wait up to {@link IdempotencyConfig#getWaitTimeout()} for the owner to finish, then replay its
   * outcome; if the owner released the key instead, claim it and run the action. On timeout throw
   * {@link IdempotencyConflictException}.
   */
  WAIT
}
