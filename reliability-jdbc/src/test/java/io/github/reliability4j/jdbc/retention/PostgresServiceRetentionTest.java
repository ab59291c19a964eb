package io.github.reliability4j.jdbc.retention;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.jdbc.retention.RetentionTables.Db;
import io.github.reliability4j.test.services.Services;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.postgresql.ds.PGSimpleDataSource;

/** The retention runner on the machine's PostgreSQL 15. */
class PostgresServiceRetentionTest extends AbstractRetentionDatabaseTest {

  static HikariDataSource pool;

  @BeforeAll
  static void start() {
    pool = RetentionTables.pool(Services.postgresJdbcUrl(), "retention-pg", 12);
  }

  @AfterAll
  static void stop() {
    pool.close();
  }

  @Override
  Db db() {
    return Db.POSTGRES;
  }

  @Override
  DataSource dataSource() {
    return pool;
  }

  @Override
  TrackingDataSource trackingDataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(Services.postgresJdbcUrl());
    return new TrackingDataSource(ds) {
      @Override
      String idQuery() {
        return "SELECT pg_backend_pid()";
      }
    };
  }

  @Override
  void kill(long id) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
      ps.setInt(1, (int) id);
      ps.executeQuery().close();
    }
  }
}
