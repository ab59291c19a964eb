package io.github.reliability4j.jdbc.idempotency;

/**
 * An outcome passed to {@link JdbcIdempotencyStore#complete} exceeds the configured size limit.
 * Thrown before anything is written: the record stays in progress under the caller's lease, so the
 * caller can {@link JdbcIdempotencyStore#release release} it or store a smaller outcome.
 */
public class OutcomeTooLargeException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String part;
  private final long size;
  private final long limit;

  public OutcomeTooLargeException(String part, long size, long limit, String setting) {
    super(
        "outcome "
            + part
            + " is "
            + size
            + " bytes, more than the limit of "
            + limit
            + " bytes ("
            + setting
            + "); nothing was stored");
    this.part = part;
    this.size = size;
    this.limit = limit;
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
