package io.github.reliability4j.jdbc.idempotency;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.mariadb.jdbc.MariaDbDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Databases for the store tests. The machine's PostgreSQL and MariaDB skip with the start command
 * when down and fail when RELIABILITY_REQUIRE_SERVICES=true; embedded PostgreSQL and H2 never skip.
 *
 * <p>Written locally until the test kit's {@code Services} helper lands on main.
 */
final class TestDatabases {

  static final String POSTGRES_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  static final String MARIADB_URL = "jdbc:mariadb://127.0.0.1:3306/test?user=root";
  static final String POSTGRES_START =
      "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";
  static final String MARIADB_START =
      "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd";

  private static final AtomicInteger H2_COUNTER = new AtomicInteger();
  private static EmbeddedPostgres embedded;

  private TestDatabases() {}

  static DataSource h2() {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:idem" + H2_COUNTER.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
    return ds;
  }

  /** One embedded PostgreSQL per test JVM, shared by all classes (each uses its own tables). */
  static synchronized EmbeddedPostgres embeddedPostgres() {
    if (embedded == null) {
      try {
        embedded = EmbeddedPostgres.builder().start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      EmbeddedPostgres started = embedded;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      started.close();
                    } catch (IOException ignored) {
                      // JVM exit
                    }
                  }));
    }
    return embedded;
  }

  static DataSource embeddedPostgresDataSource() {
    return embeddedPostgres().getPostgresDatabase();
  }

  static String embeddedPostgresJdbcUrl() {
    return embeddedPostgres().getJdbcUrl("postgres", "postgres");
  }

  static DataSource machinePostgres() {
    requireService("PostgreSQL at 127.0.0.1:5432", POSTGRES_URL, POSTGRES_START);
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(POSTGRES_URL);
    return ds;
  }

  static DataSource mariaDb() {
    requireService("MariaDB at 127.0.0.1:3306", MARIADB_URL, MARIADB_START);
    try {
      return new MariaDbDataSource(MARIADB_URL);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean servicesRequired() {
    return "true".equalsIgnoreCase(System.getenv("RELIABILITY_REQUIRE_SERVICES"));
  }

  private static void requireService(String what, String url, String startCommand) {
    SQLException failure = null;
    try (Connection c = DriverManager.getConnection(url)) {
      c.isValid(2);
    } catch (SQLException e) {
      failure = e;
    }
    if (failure == null) {
      return;
    }
    String message =
        what + " is not reachable (" + failure.getMessage() + "); start it with: " + startCommand;
    if (servicesRequired()) {
      throw new AssertionError(message + " (RELIABILITY_REQUIRE_SERVICES=true)", failure);
    }
    assumeTrue(false, message);
  }

  static void dropTable(DataSource ds, String table) {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute("DROP TABLE IF EXISTS " + table);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A table name unique to this JVM run, so parallel runs on the shared databases never collide.
   */
  static String uniqueTable(String prefix) {
    return prefix
        + "_"
        + Long.toString(ProcessHandle.current().pid(), 36)
        + "_"
        + Long.toString(System.nanoTime() & 0xffffff, 36);
  }
}
