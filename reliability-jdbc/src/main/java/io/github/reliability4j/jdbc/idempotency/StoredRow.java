package io.github.reliability4j.jdbc.idempotency;

/**
 * One row of the idempotency table as read back by a statement. {@code metadata} and {@code body}
 * are raw column values; {@code resultCode} is {@code null} while in progress; {@code tookOver}
 * says whether the current claim replaced another owner's expired in-progress claim.
 */
record StoredRow(
    boolean completed,
    String ownerToken,
    String fingerprint,
    long createdAtMillis,
    long expiresAtMillis,
    Integer resultCode,
    byte[] metadata,
    byte[] body,
    boolean tookOver) {

  /** A row whose {@code expires_at} has passed is logically absent. */
  boolean isExpiredAt(long nowMillis) {
    return expiresAtMillis <= nowMillis;
  }
}
