package io.github.reliability4j.jdbc.idempotency;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * PostgreSQL 11+, partition-per-day layout ({@code schema-postgresql-partitioned.sql}).
 *
 * <h2>Claim: one round trip</h2>
 *
 * <pre>{@code
 * SELECT <returned> FROM t_claim(?, ?, ?, ?, ?, ?, ?, ?, ?)
 * }</pre>
 *
 * calls the layout's PL/pgSQL function. A partitioned table cannot have a unique index on {@code
 * key_hash} alone, so the function serializes claims of one key with {@code pg_advisory_xact_lock},
 * reads the key's row, inserts it into today's partition when there is none, takes it over (moving
 * it into today's partition) when it expired, and returns the row as it stands. This layout keeps
 * {@link RowFormat#V1_HEX}: its purge drops whole partitions, so there is no purge index to keep
 * out of the completion. Complete, release, renew, find and purge are {@link PostgresDialect}'s:
 * each probes every partition's primary-key index. {@link #insertCompleted} has no statement here
 * (no unique index on {@code key_hash} alone): the transactional inbox claims the usual way.
 */
final class PostgresPartitionedDialect extends PostgresDialect {

  private final String claimSql;

  PostgresPartitionedDialect(String table, int queryTimeoutSeconds) {
    super(table, "schema-postgresql-partitioned.sql", queryTimeoutSeconds, RowFormat.V1_HEX, false);
    claimSql = "SELECT " + RETURNED + " FROM " + table + "_claim(?, ?, ?, ?, ?, ?, ?, ?, ?)";
  }

  @Override
  String claimSql() {
    return claimSql;
  }

  /** No unique index on {@code key_hash} alone across partitions: claims go the usual way. */
  @Override
  boolean supportsInsertCompleted() {
    return false;
  }

  @Override
  int insertCompleted(Connection c, ClaimParams p, int resultCode, byte[] metadata, byte[] body) {
    return -1;
  }

  @Override
  java.util.Set<String> insertCompletedBatch(
      Connection c,
      java.util.List<ClaimParams> rows,
      int resultCode,
      byte[] metadata,
      byte[] body) {
    return null;
  }

  @Override
  StoredRow claim(Connection c, ClaimParams p) throws SQLException {
    return claimInOneStatement(c, p);
  }
}
