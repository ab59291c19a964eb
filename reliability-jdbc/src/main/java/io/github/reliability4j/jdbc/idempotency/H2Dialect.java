package io.github.reliability4j.jdbc.idempotency;

import java.sql.SQLException;

/**
 * H2 2.x ({@code schema-h2.sql}), meant for tests and development. In {@link RowFormat#V2_BINARY}
 * the digests are cast to {@code VARBINARY(32)} and {@code purge_at} is merged like every other
 * column.
 *
 * <h2>Claim: one statement</h2>
 *
 * <pre>{@code
 * SELECT <returned> FROM FINAL TABLE (MERGE INTO t r USING (VALUES (CAST(? AS ...), ...))
 *     s(<inserted>) ON r.key_hash = s.key_hash
 *   WHEN NOT MATCHED THEN INSERT (<inserted>) VALUES (s.key_hash, ...)
 *   WHEN MATCHED THEN UPDATE SET took_over = CASE WHEN r.expires_at <= s.created_at THEN ...,
 *     state = CASE WHEN expired THEN s.state ELSE r.state END, ..., expires_at = CASE ... END)
 * }</pre>
 *
 * The matched branch always updates (with {@code CASE} keeping the old values unless expired) so
 * that the merged row is returned in one statement for duplicates too; the write on a duplicate
 * does not matter on a test database.
 *
 * <h2>Purge</h2>
 *
 * {@code DELETE FROM t WHERE expires_at <= now FETCH FIRST n ROWS ONLY}.
 */
final class H2Dialect extends Dialect {

  private final String claimSql;
  private final String purgeSql;

  H2Dialect(String table, int queryTimeoutSeconds, RowFormat format) {
    super("H2", "schema-h2.sql", table, queryTimeoutSeconds, format);
    boolean v2 = format == RowFormat.V2_BINARY;
    String digest = v2 ? "VARBINARY(32)" : "CHAR(64)";
    String fingerprint = v2 ? "VARBINARY(32)" : "VARCHAR(128)";
    String expired = "r.expires_at <= s.created_at";
    claimSql =
        "SELECT "
            + RETURNED
            + " FROM FINAL TABLE (MERGE INTO "
            + table
            + " r USING (VALUES (CAST(? AS "
            + digest
            + "), CAST(? AS VARCHAR(1024)),"
            + " CAST(? AS VARCHAR(1024)), CAST(? AS VARCHAR(1024)), CAST(? AS CHAR(1)),"
            + " CAST(? AS VARCHAR(64)), CAST(? AS "
            + fingerprint
            + "), CAST(? AS BIGINT), CAST(? AS BIGINT)"
            + (v2 ? ", CAST(? AS BIGINT)" : "")
            + ")) s("
            + inserted
            + ") ON r.key_hash = s.key_hash"
            + " WHEN NOT MATCHED THEN INSERT ("
            + inserted
            + ") VALUES (s.key_hash, s.scope, s.operation, s.client_key, s.state,"
            + " s.owner_token, s.fingerprint, s.created_at, s.expires_at"
            + (v2 ? ", s.purge_at" : "")
            + ") WHEN MATCHED THEN UPDATE SET"
            + (" took_over = CASE WHEN "
                + expired
                + " THEN CASE WHEN r.state = 'P' THEN 1 ELSE 0"
                + " END ELSE r.took_over END,")
            + (" state = CASE WHEN " + expired + " THEN s.state ELSE r.state END,")
            + (" owner_token = CASE WHEN "
                + expired
                + " THEN s.owner_token ELSE r.owner_token END,")
            + (" fingerprint = CASE WHEN "
                + expired
                + " THEN s.fingerprint ELSE r.fingerprint END,")
            + (" result_code = CASE WHEN " + expired + " THEN NULL ELSE r.result_code END,")
            + (" metadata = CASE WHEN " + expired + " THEN NULL ELSE r.metadata END,")
            + (" body = CASE WHEN " + expired + " THEN NULL ELSE r.body END,")
            + (" created_at = CASE WHEN " + expired + " THEN s.created_at ELSE r.created_at END,")
            + (v2
                ? " purge_at = CASE WHEN " + expired + " THEN s.purge_at ELSE r.purge_at END,"
                : "")
            + (" expires_at = CASE WHEN " + expired + " THEN s.expires_at ELSE r.expires_at END")
            + ")";
    purgeSql = "DELETE FROM " + table + " WHERE " + purgeColumn() + " <= ? FETCH FIRST ? ROWS ONLY";
  }

  @Override
  String claimSql() {
    return claimSql;
  }

  @Override
  String purgeSql() {
    return purgeSql;
  }

  @Override
  boolean isMissingTable(SQLException e) {
    // 42102 table not found, 42103 table not found with candidates, 42122 column not found
    return e.getErrorCode() == 42102 || e.getErrorCode() == 42103 || e.getErrorCode() == 42122;
  }
}
