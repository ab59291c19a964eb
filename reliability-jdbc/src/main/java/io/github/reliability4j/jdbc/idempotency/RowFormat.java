package io.github.reliability4j.jdbc.idempotency;

/**
 * How a table stores a record; chosen per table when the store first reaches it (the table's
 * columns decide, never a setting), so a table is never written in a format it was not created
 * with.
 *
 * <ul>
 *   <li>{@link #V1_HEX} — the 0.1.0 layout: {@code key_hash} and {@code fingerprint} as 64 hex
 *       characters, {@code expires_at} both the liveness expiry and the indexed purge key. Still
 *       read and written unchanged; the partition-per-day layout keeps it. The migration scripts
 *       {@code migrate-0.1-to-0.2-<database>.sql} convert a table in place.
 *   <li>{@link #V2_BINARY} — the current layout: {@code key_hash} and {@code fingerprint} as the 32
 *       raw SHA-256 bytes (the same digests as V1, so a migrated row keeps matching its key and
 *       fingerprint), and a separate indexed {@code purge_at} fixed at claim time (lease plus the
 *       retention the engine will use), so that completing a record changes no indexed column: on
 *       PostgreSQL the completion is a HOT update that writes no index entries.
 * </ul>
 */
enum RowFormat {
  V1_HEX,
  V2_BINARY
}
