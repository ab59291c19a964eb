package io.github.reliability4j.jdbc.idempotency;

/**
 * MariaDB 10.5+ ({@code schema-mariadb.sql}). Claim, one round trip: the {@link MySqlFamilyDialect}
 * upsert followed by {@code RETURNING <returned>}, which yields the row as it stands afterwards,
 * new, taken over or the live existing one.
 */
final class MariaDbDialect extends MySqlFamilyDialect {

  private final String claimSql;

  MariaDbDialect(String table, int queryTimeoutSeconds, RowFormat format) {
    super("MariaDB", "schema-mariadb.sql", table, queryTimeoutSeconds, format);
    claimSql = upsertSql + " RETURNING " + RETURNED;
  }

  @Override
  String claimSql() {
    return claimSql;
  }
}
