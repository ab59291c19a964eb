package io.github.reliability4j.jdbc.idempotency;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * PostgreSQL 9.5+, plain layout ({@code schema-postgresql.sql}), in either {@link RowFormat}. In
 * {@link RowFormat#V2_BINARY} the claim also sets {@code purge_at} (inserted, and on a takeover
 * {@code purge_at = EXCLUDED.purge_at}) and the purge searches {@code purge_at} instead of {@code
 * expires_at}; nothing else differs.
 *
 * <h2>Claim: one statement, one round trip</h2>
 *
 * <pre>{@code
 * WITH live AS (SELECT <returned> FROM t WHERE key_hash = ? AND expires_at > now),
 * claimed AS (INSERT INTO t AS r (<inserted>) SELECT ?, ... WHERE NOT EXISTS (SELECT 1 FROM live)
 *             ON CONFLICT (key_hash) DO UPDATE SET took_over = CASE WHEN r.state = 'P' THEN 1
 *             ELSE 0 END, state = ..., owner_token = ..., fingerprint = ..., created_at = ...,
 *             expires_at = ..., result_code = NULL, metadata = NULL, body = NULL
 *             WHERE r.expires_at <= EXCLUDED.created_at RETURNING <returned>)
 * SELECT <returned> FROM claimed UNION ALL SELECT <returned> FROM live
 * }</pre>
 *
 * The first CTE reads the live row of the key; only when there is none does the data-modifying CTE
 * run its {@code INSERT ... ON CONFLICT DO UPDATE ... WHERE}, which takes over only an expired row
 * and returns it. A duplicate (a live row) is therefore answered by a plain index read and writes
 * nothing: {@code ON CONFLICT DO UPDATE} alone would lock the conflicting row even when its {@code
 * WHERE} is false, which writes WAL and consumes a transaction ID per retry. A row committed by a
 * concurrent claim after the statement's snapshot still meets the {@code ON CONFLICT} clause:
 * nothing is returned then, and the row is read by a second statement ({@link #claim}; two round
 * trips, in that race only). If that read returns an expired version although the takeover was
 * declined, the store reads again and never decides on such a stale row.
 *
 * <h2>Purge</h2>
 *
 * <pre>{@code
 * DELETE FROM t WHERE key_hash = ANY(ARRAY(SELECT key_hash FROM t WHERE expires_at <= now
 *     ORDER BY expires_at LIMIT n FOR UPDATE SKIP LOCKED)) AND expires_at <= now
 * }</pre>
 *
 * found through the {@code expires_at} index; concurrent purgers skip each other's locked rows, and
 * the repeated {@code expires_at <= now} keeps a row claimed again between selection and deletion.
 *
 * <h2>Insert completed: one statement inside the caller's transaction</h2>
 *
 * <pre>{@code
 * INSERT INTO t (<inserted>, result_code, metadata, body) VALUES (?, ..., 'C', ..., ?, ?, ?)
 *     ON CONFLICT (key_hash) DO NOTHING
 * }</pre>
 *
 * for {@link JdbcIdempotencyStore#insertCompletedInTransaction}: writes the row already completed
 * (in V2 with {@code purge_at} equal to the retention's expiry). {@code DO NOTHING} takes no lock
 * on a committed conflicting row (live or expired: the caller then claims the usual way), and waits
 * for an uncommitted insert of the same key, then does nothing if it committed; so two transactions
 * never both insert the key. It does not set {@code synchronous_commit}: the row commits with the
 * caller's business write.
 *
 * <h2>Insert completed, a batch: one statement for many keys</h2>
 *
 * <pre>{@code
 * INSERT INTO t (<inserted>, result_code, metadata, body)
 *     SELECT decode(k.h, 'hex'), k.s, k.o, k.ck, 'C', ?, decode(k.f, 'hex'), ?, ?, ?, ?, ?, ?
 *     FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) AS k(h, s, o, ck, f)
 *     ORDER BY k.h
 *     ON CONFLICT (key_hash) DO NOTHING RETURNING encode(key_hash, 'hex')
 * }</pre>
 *
 * for {@link JdbcIdempotencyStore#insertCompletedBatchInTransaction}: the same {@code DO NOTHING}
 * semantics per key as the single insert, for every key of a consumer's poll in one round trip (V1:
 * the hex digests as they are, without {@code decode}/{@code encode}, and no {@code purge_at}). The
 * keys are bound as five text arrays, so the statement text does not depend on the batch size and
 * is prepared once per connection. {@code ORDER BY k.h} inserts in key-hash order: two batches that
 * share keys wait for each other's uncommitted keys in the same order and cannot deadlock on them.
 * {@code RETURNING} names the keys inserted; the others have a row.
 */
class PostgresDialect extends Dialect {

  private static final java.util.HexFormat HEX = java.util.HexFormat.of();

  private static final String RETURNED_R =
      "r.state, r.owner_token, r.fingerprint, r.created_at, r.expires_at, r.result_code,"
          + " r.metadata, r.body, r.took_over";

  /**
   * Appended to the insert's condition: evaluated only when the claim inserts (or takes over), it
   * sets {@code synchronous_commit = off} for this statement's transaction alone ({@code
   * is_local}), so the claim's commit does not wait for a WAL flush and the pooled session keeps
   * its setting. See {@link JdbcIdempotencyStoreConfig.Builder#durableClaims} for why a lost claim
   * is safe.
   */
  static final String ASYNC_COMMIT =
      " AND set_config('synchronous_commit', 'off', true) IS NOT NULL";

  private final String claimSql;
  private final String purgeSql;
  private final String insertCompletedSql;
  private final String insertCompletedBatchSql;

  PostgresDialect(
      String table, int queryTimeoutSeconds, RowFormat format, boolean asyncClaimCommit) {
    this(table, "schema-postgresql.sql", queryTimeoutSeconds, format, asyncClaimCommit);
  }

  PostgresDialect(
      String table,
      String resource,
      int queryTimeoutSeconds,
      RowFormat format,
      boolean asyncClaimCommit) {
    super("PostgreSQL", resource, table, queryTimeoutSeconds, format);
    String purge = purgeColumn();
    claimSql =
        "WITH live AS (SELECT "
            + RETURNED_R.replace("r.", "t.")
            + " FROM "
            + table
            + " t WHERE t.key_hash = ? AND t.expires_at > ?), claimed AS (INSERT INTO "
            + table
            + " AS r ("
            + inserted
            + ") SELECT "
            + insertedParams
            + " WHERE NOT EXISTS (SELECT 1 FROM live)"
            + (asyncClaimCommit ? ASYNC_COMMIT : "")
            + " ON CONFLICT (key_hash) DO UPDATE SET"
            + " took_over = CASE WHEN r.state = 'P' THEN 1 ELSE 0 END, state = EXCLUDED.state,"
            + " owner_token = EXCLUDED.owner_token, fingerprint = EXCLUDED.fingerprint,"
            + " created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,"
            + (format == RowFormat.V2_BINARY ? " purge_at = EXCLUDED.purge_at," : "")
            + " result_code = NULL, metadata = NULL, body = NULL"
            + " WHERE r.expires_at <= EXCLUDED.created_at"
            + " RETURNING "
            + RETURNED_R
            + ") SELECT "
            + RETURNED
            + " FROM claimed UNION ALL SELECT "
            + RETURNED
            + " FROM live";
    insertCompletedSql =
        "INSERT INTO "
            + table
            + " ("
            + inserted
            + ", result_code, metadata, body) VALUES ("
            + insertedParams
            + ", ?, ?, ?) ON CONFLICT (key_hash) DO NOTHING";
    boolean v2 = format == RowFormat.V2_BINARY;
    insertCompletedBatchSql =
        "INSERT INTO "
            + table
            + " ("
            + inserted
            + ", result_code, metadata, body) SELECT "
            + (v2 ? "decode(k.h, 'hex')" : "k.h")
            + ", k.s, k.o, k.ck, 'C', ?, "
            + (v2 ? "decode(k.f, 'hex')" : "k.f")
            + ", ?, ?, "
            + (v2 ? "?, " : "")
            + "?, ?, ?"
            + " FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[])"
            + " AS k(h, s, o, ck, f) ORDER BY k.h"
            + " ON CONFLICT (key_hash) DO NOTHING RETURNING "
            + (v2 ? "encode(key_hash, 'hex')" : "key_hash");
    purgeSql =
        "DELETE FROM "
            + table
            + " WHERE key_hash = ANY(ARRAY(SELECT key_hash FROM "
            + table
            + " WHERE "
            + purge
            + " <= ? ORDER BY "
            + purge
            + " LIMIT ? FOR UPDATE SKIP LOCKED)) AND "
            + purge
            + " <= ?";
  }

  @Override
  String claimSql() {
    return claimSql;
  }

  @Override
  StoredRow claim(Connection c, ClaimParams p) throws SQLException {
    try (PreparedStatement ps = prepare(c, claimSql)) {
      bindDigest(ps, 1, p.keyHash());
      ps.setLong(2, p.nowMillis());
      bindInsert(ps, 3, p);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return read(rs);
        }
      }
    }
    // The conflicting row was committed by a concurrent claim after this statement's snapshot
    // was taken, so the live branch could not see it; a fresh statement can.
    return find(c, p.keyHash());
  }

  @Override
  boolean supportsInsertCompleted() {
    return true;
  }

  @Override
  int insertCompleted(Connection c, ClaimParams p, int resultCode, byte[] metadata, byte[] body)
      throws SQLException {
    try (PreparedStatement ps = prepare(c, insertCompletedSql)) {
      bindInsert(ps, 1, p);
      ps.setString(5, "C");
      int next = format == RowFormat.V2_BINARY ? 11 : 10;
      ps.setInt(next, resultCode);
      setBytes(ps, next + 1, metadata);
      setBytes(ps, next + 2, body);
      return ps.executeUpdate();
    }
  }

  @Override
  java.util.Set<String> insertCompletedBatch(
      Connection c, java.util.List<ClaimParams> rows, int resultCode, byte[] metadata, byte[] body)
      throws SQLException {
    int n = rows.size();
    String[] hashes = new String[n];
    String[] scopes = new String[n];
    String[] operations = new String[n];
    String[] clientKeys = new String[n];
    String[] fingerprints = new String[n];
    for (int i = 0; i < n; i++) {
      ClaimParams p = rows.get(i);
      hashes[i] = HEX.formatHex(p.keyHash());
      scopes[i] = p.scope();
      operations[i] = p.operation();
      clientKeys[i] = p.clientKey();
      fingerprints[i] = HEX.formatHex(p.fingerprint());
    }
    ClaimParams first = rows.get(0);
    java.util.Set<String> inserted = new java.util.HashSet<>();
    try (PreparedStatement ps = prepare(c, insertCompletedBatchSql)) {
      int i = 1;
      ps.setString(i++, first.ownerToken());
      ps.setLong(i++, first.nowMillis());
      ps.setLong(i++, first.leaseExpiresAtMillis());
      if (format == RowFormat.V2_BINARY) {
        ps.setLong(i++, first.purgeAtMillis());
      }
      ps.setInt(i++, resultCode);
      setBytes(ps, i++, metadata);
      setBytes(ps, i++, body);
      for (String[] column :
          new String[][] {hashes, scopes, operations, clientKeys, fingerprints}) {
        ps.setArray(i++, c.createArrayOf("text", column));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          inserted.add(rs.getString(1));
        }
      }
    }
    return inserted;
  }

  /** The batch insert as sent (for tests that compare it with the documentation). */
  String insertCompletedBatchSql() {
    return insertCompletedBatchSql;
  }

  @Override
  String purgeSql() {
    return purgeSql;
  }

  @Override
  int purgeBatch(Connection c, long nowMillis, int batchSize) throws SQLException {
    try (PreparedStatement ps = prepare(c, purgeSql)) {
      ps.setLong(1, nowMillis);
      ps.setInt(2, batchSize);
      ps.setLong(3, nowMillis);
      return ps.executeUpdate();
    }
  }

  @Override
  boolean isMissingTable(SQLException e) {
    // undefined_table, undefined_column, undefined_function (partitioned layout's claim)
    return "42P01".equals(e.getSQLState())
        || "42703".equals(e.getSQLState())
        || "42883".equals(e.getSQLState());
  }
}
