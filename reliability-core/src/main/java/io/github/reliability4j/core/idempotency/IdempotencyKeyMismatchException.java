package io.github.reliability4j.core.idempotency;

/**
 * The key was already used for a request with a different fingerprint (HTTP 422). Nothing was run;
 * retrying the same request with the same key fails the same way — the client must use a new key.
 */
public class IdempotencyKeyMismatchException extends IdempotencyException {

  private static final long serialVersionUID = 1L;

  private final RecordState existingState;

  public IdempotencyKeyMismatchException(IdempotencyKey key, RecordState existingState) {
    super(
        key,
        "Idempotency key reused with a different request payload: "
            + key
            + " belongs to a "
            + existingState
            + " request with another fingerprint; use a new key for a new request",
        null);
    this.existingState = existingState;
  }

  /** State of the record holding the key. */
  public RecordState getExistingState() {
    return existingState;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
