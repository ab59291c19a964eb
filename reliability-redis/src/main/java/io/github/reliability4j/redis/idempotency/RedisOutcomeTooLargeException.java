package io.github.reliability4j.redis.idempotency;

/**
 * An outcome passed to {@link RedisIdempotencyStore#complete} is larger than {@link
 * RedisIdempotencyStoreConfig#getMaxOutcomeBytes()}. Thrown before anything is written; the store
 * has released the caller's key (if it still owned it), so a retry can run at once instead of
 * waiting for the lease.
 */
public class RedisOutcomeTooLargeException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final long size;
  private final long limit;
  private final boolean released;

  RedisOutcomeTooLargeException(long size, long limit, boolean released) {
    super(
        "outcome is "
            + size
            + " bytes encoded, more than maxOutcomeBytes "
            + limit
            + "; nothing was stored"
            + (released
                ? " and the key was released, so a retry can run"
                : " (the caller no longer owned the key)"));
    this.size = size;
    this.limit = limit;
    this.released = released;
  }

  public long getSize() {
    return size;
  }

  public long getLimit() {
    return limit;
  }

  /** Whether the caller's in-progress record was released. */
  public boolean isReleased() {
    return released;
  }
}
