package io.github.reliability4j.jdbc.idempotency;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * What the transactional-inbox tests share: on one database, a keys table of a unique name with its
 * {@link JdbcIdempotencyStore} (schema created, on the test's clock) and the business table the
 * tests write beside it ({@code <keys table><suffix>}), a transaction, a row count, a wait for a
 * PostgreSQL session blocked on a row lock, and the clean-up ({@link #close()} drops both tables).
 */
final class StoreWithBusinessTable implements AutoCloseable {

  final DataSource ds;
  final String table;
  final String business;
  final JdbcIdempotencyStore store;

  private StoreWithBusinessTable(DataSource ds, String table, String business, Clock clock) {
    this.ds = ds;
    this.table = table;
    this.business = business;
    this.store =
        JdbcIdempotencyStore.create(
            ds,
            JdbcIdempotencyStoreConfig.custom()
                .tableName(table)
                .clock(clock)
                .initializeSchema(true)
                .build());
  }

  /**
   * Creates the keys table {@code <prefix>_<unique>} and the business table {@code <keys
   * table><suffix> <definition>} (the columns and any table options) on {@code ds}.
   */
  static StoreWithBusinessTable create(
      DataSource ds, String prefix, String suffix, String definition, Clock clock)
      throws SQLException {
    String table = TestDatabases.uniqueTable(prefix);
    StoreWithBusinessTable db = new StoreWithBusinessTable(ds, table, table + suffix, clock);
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE " + db.business + " " + definition);
    }
    return db;
  }

  /** A connection with auto-commit off: the business transaction. */
  Connection begin() throws SQLException {
    Connection c = ds.getConnection();
    c.setAutoCommit(false);
    return c;
  }

  /** Committed business rows whose {@code column} is {@code value}. */
  int count(String column, String value) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT COUNT(*) FROM " + business + " WHERE " + column + " = ?")) {
      ps.setString(1, value);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /**
   * Polls PostgreSQL, with a deadline of 60 s, until at least {@code sessions} sessions whose
   * statement names the keys table wait on a lock (an open transaction's row).
   *
   * @throws AssertionError saying {@code never} if they do not by the deadline
   */
  void awaitPostgresLockWaiters(int sessions, String never) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Connection c = ds.getConnection();
          PreparedStatement ps =
              c.prepareStatement(
                  "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                      + " AND query LIKE ?")) {
        ps.setString(1, "%" + table + "%");
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getLong(1) >= sessions) {
            return;
          }
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(never);
      }
      Thread.sleep(20);
    }
  }

  /** Drops the business table and the keys table. */
  @Override
  public void close() {
    TestDatabases.dropTable(ds, business);
    TestDatabases.dropTable(ds, table);
  }
}
