package io.github.reliability4j.jdbc.idempotency;

import java.sql.SQLException;

/**
 * What MySQL 8 and MariaDB share: the claim upsert and the purge.
 *
 * <h2>Claim upsert</h2>
 *
 * <pre>{@code
 * INSERT INTO t (<inserted>) VALUES (?, ...) ON DUPLICATE KEY UPDATE
 *   took_over = IF(expires_at <= VALUES(created_at), state = 'P', took_over),
 *   owner_token = IF(expired, VALUES(owner_token), owner_token), state = IF(...),
 *   fingerprint = IF(...), result_code = IF(expired, NULL, result_code), metadata = IF(...),
 *   body = IF(...), created_at = IF(...),
 *   expires_at = IF(expires_at <= VALUES(created_at), VALUES(expires_at), expires_at)
 * }</pre>
 *
 * Assignments run left to right and see earlier assignments, so {@code expires_at} is assigned last
 * and every condition reads its old value: a live row keeps every column, an expired one is
 * replaced. Two claims of the same new key serialize on the primary key.
 *
 * <h2>Purge</h2>
 *
 * <pre>{@code
 * DELETE FROM t WHERE expires_at <= now ORDER BY expires_at LIMIT n
 * }</pre>
 *
 * over the {@code expires_at} index ({@link RowFormat#V1_HEX}) or the {@code purge_at} index
 * ({@link RowFormat#V2_BINARY}, where the upsert also sets {@code purge_at} on insert and takeover,
 * assigned before {@code expires_at} like every other column).
 */
abstract class MySqlFamilyDialect extends Dialect {

  final String upsertSql;
  private final String purgeSql;

  MySqlFamilyDialect(
      String name, String resource, String table, int queryTimeoutSeconds, RowFormat format) {
    super(name, resource, table, queryTimeoutSeconds, format);
    String expired = "expires_at <= VALUES(created_at)";
    upsertSql =
        "INSERT INTO "
            + table
            + " ("
            + inserted
            + ") VALUES ("
            + insertedParams
            + ") ON DUPLICATE KEY UPDATE"
            + (" took_over = IF(" + expired + ", state = 'P', took_over),")
            + (" owner_token = IF(" + expired + ", VALUES(owner_token), owner_token),")
            + (" state = IF(" + expired + ", VALUES(state), state),")
            + (" fingerprint = IF(" + expired + ", VALUES(fingerprint), fingerprint),")
            + (" result_code = IF(" + expired + ", NULL, result_code),")
            + (" metadata = IF(" + expired + ", NULL, metadata),")
            + (" body = IF(" + expired + ", NULL, body),")
            + (" created_at = IF(" + expired + ", VALUES(created_at), created_at),")
            + (format == RowFormat.V2_BINARY
                ? " purge_at = IF(" + expired + ", VALUES(purge_at), purge_at),"
                : "")
            + (" expires_at = IF(" + expired + ", VALUES(expires_at), expires_at)");
    String purge = purgeColumn();
    purgeSql = "DELETE FROM " + table + " WHERE " + purge + " <= ? ORDER BY " + purge + " LIMIT ?";
  }

  @Override
  final String purgeSql() {
    return purgeSql;
  }

  @Override
  final boolean isMissingTable(SQLException e) {
    // ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR
    return e.getErrorCode() == 1146 || e.getErrorCode() == 1054;
  }
}
