package io.github.reliability4j.jdbc.idempotency;

/**
 * An outcome passed to {@link JdbcIdempotencyStore#complete} exceeds the configured size limit.
 * Thrown before anything is written. {@link JdbcIdempotencyStore#complete} has released the
 * caller's key (if it still owned it, see {@link #isReleased()}), so a retry can run at once
 * instead of waiting for the lease; {@link JdbcIdempotencyStore#completeInTransaction} leaves the
 * record in progress under the caller's lease (the caller's transaction decides), so the caller can
 * release it or store a smaller outcome.
 */
public class OutcomeTooLargeException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String part;
  private final long size;
  private final long limit;
  private final boolean released;
  private final String setting;

  public OutcomeTooLargeException(String part, long size, long limit, String setting) {
    this(part, size, limit, setting, false, "");
  }

  /** The same refusal after the store tried to release the caller's key. */
  OutcomeTooLargeException(OutcomeTooLargeException refused, boolean released) {
    this(
        refused.part,
        refused.size,
        refused.limit,
        refused.setting,
        released,
        released
            ? " and the key was released, so a retry can run"
            : " (the key was not released: the caller no longer owned it)");
  }

  private OutcomeTooLargeException(
      String part, long size, long limit, String setting, boolean released, String suffix) {
    super(
        "outcome "
            + part
            + " is "
            + size
            + " bytes, more than the limit of "
            + limit
            + " bytes ("
            + setting
            + "); nothing was stored"
            + suffix);
    this.part = part;
    this.size = size;
    this.limit = limit;
    this.released = released;
    this.setting = setting;
  }

  /**
   * Whether the store released the caller's in-progress record ({@link
   * JdbcIdempotencyStore#complete} only; always false for a transactional completion).
   */
  public boolean isReleased() {
    return released;
  }

  /** "body" or "metadata". */
  public String getPart() {
    return part;
  }

  public long getSize() {
    return size;
  }

  public long getLimit() {
    return limit;
  }
}
