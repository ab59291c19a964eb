package io.github.reliability4j.test.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;

/** Small JDBC helpers for the kit's own tests. */
final class Rows {

  private Rows() {}

  static String newTable(PostgresNode primary) throws SQLException {
    String table = "t_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = primary.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + table + " (id int PRIMARY KEY)");
    }
    return table;
  }

  static void insert(PostgresNode node, String table, int id) throws SQLException {
    try (Connection c = node.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " VALUES (?)")) {
      ps.setInt(1, id);
      ps.executeUpdate();
    }
  }

  static boolean exists(PostgresNode node, String table, int id) throws SQLException {
    return exists(node.dataSource(), table, id);
  }

  static boolean exists(DataSource ds, String table, int id) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT to_regclass(?) IS NOT NULL AND EXISTS (SELECT 1 FROM "
                    + "pg_class WHERE relname = ?)")) {
      ps.setString(1, table);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return false;
        }
      }
    }
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + table + " WHERE id = ?")) {
      ps.setInt(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Polls until the condition holds; false if the deadline passes first. */
  static boolean eventually(Duration deadline, SqlCondition condition) throws SQLException {
    long end = System.nanoTime() + deadline.toNanos();
    while (true) {
      if (condition.test()) {
        return true;
      }
      if (System.nanoTime() - end >= 0) {
        return false;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  interface SqlCondition {
    boolean test() throws SQLException;
  }

  static BooleanSupplier unchecked(SqlCondition condition) {
    return () -> {
      try {
        return condition.test();
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    };
  }
}
