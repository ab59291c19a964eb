package io.github.reliability4j.jdbc.health;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Properties;
import javax.sql.DataSource;

/**
 * Opens a new physical connection for {@link JdbcConnectivityProbe}. It must not hand out a pooled
 * connection: the probe exists to check the database independently of the application's pool.
 *
 * <p>Connect timeouts are driver settings; set them in the URL or properties (PgJDBC: {@code
 * connectTimeout} and {@code loginTimeout} in seconds; MariaDB Connector/J: {@code connectTimeout}
 * in milliseconds), shorter than the probe's deadline.
 */
@FunctionalInterface
public interface ConnectionFactory {

  /** Opens a new physical connection; the caller closes it. */
  Connection connect() throws SQLException;

  /**
   * Connects through the driver registered for {@code jdbcUrl}, bypassing {@link DriverManager}'s
   * global login timeout and any pool.
   *
   * @throws IllegalArgumentException if no registered driver accepts the URL
   */
  static ConnectionFactory ofDriver(String jdbcUrl, Properties properties) {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Properties copy = new Properties();
    if (properties != null) {
      copy.putAll(properties);
    }
    Driver driver;
    try {
      driver = DriverManager.getDriver(jdbcUrl);
    } catch (SQLException e) {
      throw new IllegalArgumentException(
          "no JDBC driver accepts the URL '" + redactUrl(jdbcUrl) + "': " + e.getMessage(), e);
    }
    return () -> {
      Connection c = driver.connect(jdbcUrl, copy);
      if (c == null) {
        throw new SQLException("driver " + driver.getClass().getName() + " rejected the URL");
      }
      return c;
    };
  }

  /**
   * Connects through a non-pooled {@link DataSource} such as {@code PGSimpleDataSource}. Passing a
   * pool here defeats the purpose; use {@link HikariPoolProbe} for pools.
   */
  static ConnectionFactory ofUnpooled(DataSource unpooled) {
    Objects.requireNonNull(unpooled, "unpooled");
    return unpooled::getConnection;
  }

  private static String redactUrl(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }
}
