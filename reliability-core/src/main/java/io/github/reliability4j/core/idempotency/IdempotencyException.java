package io.github.reliability4j.core.idempotency;

/** Base class of the errors the idempotency engine raises for a particular key. */
public abstract class IdempotencyException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient IdempotencyKey key;

  protected IdempotencyException(IdempotencyKey key, String message, Throwable cause) {
    super(message, cause);
    this.key = key;
  }

  /** The key concerned. */
  public IdempotencyKey getKey() {
    return key;
  }

  /**
   * Whether the same request, retried later with the same key, can succeed. Conflicts and store
   * outages are retryable; a fingerprint mismatch is not.
   */
  public abstract boolean isRetryable();
}
