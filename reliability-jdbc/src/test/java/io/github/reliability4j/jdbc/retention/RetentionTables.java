package io.github.reliability4j.jdbc.retention;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import javax.sql.DataSource;

/** DDL and bulk loads of the retention tests' tables, per database. */
final class RetentionTables {

  enum Db {
    H2,
    POSTGRES,
    MARIADB
  }

  private RetentionTables() {}

  /** A small HikariCP pool for a test class. */
  static com.zaxxer.hikari.HikariDataSource pool(String jdbcUrl, String name, int size) {
    com.zaxxer.hikari.HikariConfig hc = new com.zaxxer.hikari.HikariConfig();
    hc.setJdbcUrl(jdbcUrl);
    hc.setMaximumPoolSize(size);
    hc.setMinimumIdle(0);
    hc.setInitializationFailTimeout(-1);
    hc.setPoolName(name);
    return new com.zaxxer.hikari.HikariDataSource(hc);
  }

  static String unique(String prefix) {
    return prefix
        + "_"
        + Long.toString(ProcessHandle.current().pid(), 36)
        + "_"
        + Long.toString(System.nanoTime() & 0xffffff, 36);
  }

  /** The live table {@code t} (indexed age column) and, if archive is true, {@code t_archive}. */
  static void create(DataSource ds, Db db, String t, boolean archive) throws SQLException {
    String id =
        switch (db) {
          case POSTGRES -> "id BIGSERIAL PRIMARY KEY";
          case MARIADB, H2 -> "id BIGINT AUTO_INCREMENT PRIMARY KEY";
        };
    String ts =
        switch (db) {
          case POSTGRES -> "TIMESTAMPTZ";
          case MARIADB -> "DATETIME(3)";
          case H2 -> "TIMESTAMP";
        };
    exec(
        ds,
        "CREATE TABLE "
            + t
            + " ("
            + id
            + ", created_at "
            + ts
            + " NOT NULL, status VARCHAR(20) NOT NULL, payload VARCHAR(100))",
        "CREATE INDEX " + t + "_age ON " + t + " (created_at)");
    if (archive) {
      exec(
          ds,
          "CREATE TABLE "
              + t
              + "_archive (id BIGINT PRIMARY KEY, created_at "
              + ts
              + " NOT NULL, status VARCHAR(20) NOT NULL, payload VARCHAR(100))");
    }
  }

  static void drop(DataSource ds, String... tables) {
    for (String t : tables) {
      try {
        exec(ds, "DROP TABLE IF EXISTS " + t);
      } catch (SQLException e) {
        // best effort
      }
    }
  }

  static void exec(DataSource ds, String... sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  /** Inserts {@code n} rows with created_at = at (H2: row by row in one batch). */
  static void insert(DataSource ds, String t, int n, Instant at, String status)
      throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO " + t + " (created_at, status, payload) VALUES (?, ?, ?)")) {
      c.setAutoCommit(false);
      for (int i = 0; i < n; i++) {
        ps.setTimestamp(1, Timestamp.from(at));
        ps.setString(2, status);
        ps.setString(3, "p" + i);
        ps.addBatch();
        if (i % 1000 == 999) {
          ps.executeBatch();
        }
      }
      ps.executeBatch();
      c.commit();
    }
  }

  /** Bulk load: n rows created {@code daysOld} days before the database's now. */
  static void bulkOld(DataSource ds, Db db, String t, int n, int daysOld) throws SQLException {
    switch (db) {
      case POSTGRES ->
          exec(
              ds,
              "INSERT INTO "
                  + t
                  + " (created_at, status, payload) SELECT now() - interval '"
                  + daysOld
                  + " days' + g * interval '1 millisecond', 'DONE', 'p' || g"
                  + " FROM generate_series(1, "
                  + n
                  + ") g");
      case MARIADB -> {
        // seq_1_to_N comes with MariaDB's Sequence engine
        exec(
            ds,
            "INSERT INTO "
                + t
                + " (created_at, status, payload) SELECT NOW(3) - INTERVAL "
                + daysOld
                + " DAY + INTERVAL seq * 1000 MICROSECOND, 'DONE', CONCAT('p', seq)"
                + " FROM seq_1_to_"
                + n);
      }
      case H2 -> insert(ds, t, n, Instant.now().minusSeconds(daysOld * 86400L), "DONE");
    }
  }

  static Set<Long> ids(DataSource ds, String t) throws SQLException {
    Set<Long> ids = new HashSet<>();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id FROM " + t)) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    return ids;
  }

  static long count(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
