package io.github.reliability4j.benchmarks.jdbc;

import io.github.reliability4j.benchmarks.support.BenchDatabase;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.apache.camel.processor.idempotent.jdbc.JdbcMessageIdRepository;

/** Creates, bulk-loads and cleans the benchmark tables of both idempotency stores. */
final class Tables {

  static final String BULK_SCOPE = "bulk";
  static final String CAMEL_BULK_TIME = "TIMESTAMP '2000-01-01 00:00:00'";

  private Tables() {}

  /**
   * Makes sure {@code ourTable} and {@code camelTable} exist and hold exactly {@code rows} bulk
   * rows plus nothing left over from earlier runs. Loading happens once per table and database.
   */
  static void prepare(BenchDatabase db, DataSource ds, String ourTable, String camelTable, int rows)
      throws SQLException {
    JdbcIdempotencyStore.create(
        ds, JdbcIdempotencyStoreConfig.custom().tableName(ourTable).initializeSchema(true).build());
    JdbcMessageIdRepository camel = camelRepository(ds, camelTable, "bench");
    camel.stop();

    if (db.queryLong("SELECT count(*) FROM " + ourTable + " WHERE scope = 'bulk'") != rows) {
      db.execute("TRUNCATE " + ourTable);
      db.execute(
          "INSERT INTO "
              + ourTable
              + " (key_hash, scope, operation, client_key, state, owner_token, fingerprint,"
              + " created_at, expires_at, purge_at, took_over, result_code, metadata, body)"
              + " SELECT sha256(('bulk-' || g)::bytea), 'bulk', 'create-payment',"
              + " 'bulk-' || g, 'C', md5(g::text), decode('"
              + JdbcIdempotencyBenchmark.FINGERPRINT.hex()
              + "', 'hex'), 0, "
              + JdbcIdempotencyBenchmark.FAR_FUTURE_MILLIS
              + ", "
              + JdbcIdempotencyBenchmark.FAR_FUTURE_MILLIS
              + ", 0, 200, NULL, '\\x7b7d'::bytea FROM generate_series(1, "
              + rows
              + ") g");
      db.execute("VACUUM ANALYZE " + ourTable);
    }
    if (db.queryLong("SELECT count(*) FROM " + camelTable + " WHERE createdAt = " + CAMEL_BULK_TIME)
        != rows) {
      db.execute("TRUNCATE " + camelTable);
      db.execute(
          "INSERT INTO "
              + camelTable
              + " (processorName, messageId, createdAt) SELECT 'bench', md5(g::text), "
              + CAMEL_BULK_TIME
              + " FROM generate_series(1, "
              + rows
              + ") g");
      db.execute("VACUUM ANALYZE " + camelTable);
    }
    db.execute(
        "CREATE TABLE IF NOT EXISTS "
            + ORDERS
            + " (id VARCHAR(64) PRIMARY KEY, amount INTEGER NOT NULL, created_at BIGINT NOT NULL)");
    db.execute("TRUNCATE " + ORDERS);
    db.execute("DELETE FROM " + ourTable + " WHERE scope <> 'bulk'");
    db.execute("DELETE FROM " + camelTable + " WHERE createdAt <> " + CAMEL_BULK_TIME);
    db.execute("VACUUM ANALYZE " + ourTable);
    db.execute("VACUUM ANALYZE " + camelTable);
  }

  /** The business table of the "new key with the business write" pair (group 2c). */
  static final String ORDERS = "bench_orders";

  /** Camel's JDBC repository on {@code table}, created by Camel itself if missing, started. */
  static JdbcMessageIdRepository camelRepository(DataSource ds, String table, String processor) {
    JdbcMessageIdRepository camel = new JdbcMessageIdRepository(ds, processor);
    camel.setTableName(table);
    camel.setCreateTableIfNotExists(true);
    camel.start();
    return camel;
  }

  /** Reads the key hashes of the {@code scope}'s rows, ordered by client key, into {@code out}. */
  static void loadHashes(BenchDatabase db, String table, String scope, byte[][] out)
      throws SQLException {
    try (Connection c = BenchDatabase.plain(db.primaryUrl()).getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT key_hash FROM " + table + " WHERE scope = ? LIMIT ?")) {
      ps.setString(1, scope);
      ps.setInt(2, out.length);
      try (ResultSet rs = ps.executeQuery()) {
        int i = 0;
        while (rs.next()) {
          out[i++] = rs.getBytes(1);
        }
        if (i != out.length) {
          throw new IllegalStateException("expected " + out.length + " rows in scope " + scope);
        }
      }
    }
  }

  /** Deletes the rows the new-key benchmarks inserted during one iteration. */
  static void removeInserted(BenchDatabase db, String ourTable, String camelTable)
      throws SQLException {
    db.execute(
        "DELETE FROM "
            + ourTable
            + " WHERE expires_at < "
            + JdbcIdempotencyBenchmark.FAR_FUTURE_MILLIS
            + " AND scope = '"
            + JdbcIdempotencyBenchmark.NEW_SCOPE
            + "'");
    db.execute("DELETE FROM " + camelTable + " WHERE messageId LIKE 'new-%'");
    db.execute("TRUNCATE " + ORDERS);
    db.execute("VACUUM " + ourTable);
    db.execute("VACUUM " + camelTable);
  }
}
