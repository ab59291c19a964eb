package io.github.reliability4j.core.idempotency;

/**
 * The caller no longer owns the key: its lease expired, or another worker took the key over.
 *
 * <p>{@link IdempotencyStore} methods report lost ownership by returning {@code false} / empty,
 * never by throwing this. It exists for callers that must turn that answer into an exception — a
 * transactional completion that has to roll back the business write, or {@link
 * IdempotentExecution#completeOrThrow}.
 */
public class LeaseLostException extends IdempotencyException {

  private static final long serialVersionUID = 1L;

  private final String ownerToken;

  public LeaseLostException(IdempotencyKey key, String ownerToken) {
    super(
        key,
        "Lease lost for "
            + key
            + ": the lease expired or another worker took the key over, so this worker's result"
            + " was not stored; consider a longer leaseDuration or lease renewal",
        null);
    this.ownerToken = ownerToken;
  }

  /** The fencing token that is no longer valid. */
  public String getOwnerToken() {
    return ownerToken;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
