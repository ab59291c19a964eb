package io.github.reliability4j.jdbc.idempotency;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * MySQL 8 ({@code schema-mysql.sql}). MySQL has no {@code RETURNING}: the claim is the {@link
 * MySqlFamilyDialect} upsert followed by {@code SELECT <returned> FROM t WHERE key_hash = ?} (two
 * round trips).
 */
final class MySqlDialect extends MySqlFamilyDialect {

  MySqlDialect(String table, int queryTimeoutSeconds, RowFormat format) {
    super("MySQL", "schema-mysql.sql", table, queryTimeoutSeconds, format);
  }

  @Override
  String claimSql() {
    return upsertSql;
  }

  @Override
  StoredRow claim(Connection c, ClaimParams p) throws SQLException {
    try (PreparedStatement ps = prepare(c, upsertSql)) {
      bindInsert(ps, 1, p);
      ps.executeUpdate();
    }
    return find(c, p.keyHash());
  }
}
