package io.github.reliability4j.jdbc.retention;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.jdbc.retention.RetentionTables.Db;
import io.github.reliability4j.test.services.Services;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.mariadb.jdbc.MariaDbDataSource;

/** The retention runner on the machine's MariaDB. */
class MariaDbRetentionTest extends AbstractRetentionDatabaseTest {

  static HikariDataSource pool;

  @BeforeAll
  static void start() {
    pool = RetentionTables.pool(Services.mariaDbJdbcUrl(), "retention-mariadb", 12);
  }

  @AfterAll
  static void stop() {
    pool.close();
  }

  @Override
  Db db() {
    return Db.MARIADB;
  }

  @Override
  DataSource dataSource() {
    return pool;
  }

  @Override
  TrackingDataSource trackingDataSource() {
    try {
      return new TrackingDataSource(new MariaDbDataSource(Services.mariaDbJdbcUrl())) {
        @Override
        String idQuery() {
          return "SELECT CONNECTION_ID()";
        }
      };
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  void kill(long id) throws SQLException {
    try (Connection c = pool.getConnection();
        Statement st = c.createStatement()) {
      st.execute("KILL " + id);
    }
  }
}
