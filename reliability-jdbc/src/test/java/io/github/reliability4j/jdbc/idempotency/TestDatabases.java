package io.github.reliability4j.jdbc.idempotency;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.services.Services;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Databases for the store tests. The machine's PostgreSQL and MariaDB go through the test kit's
 * {@link Services} (skip naming the start command when down, fail when
 * RELIABILITY_REQUIRE_SERVICES=true). JUnit classes get embedded PostgreSQL from
 * {@code @ReplicatedPostgres(replicas = 0)}; jqwik properties, which cannot use the extension,
 * start one cluster lazily here. Embedded PostgreSQL and H2 never skip.
 */
final class TestDatabases {

  private static final AtomicInteger H2_COUNTER = new AtomicInteger();
  private static PostgresCluster propertiesCluster;

  private TestDatabases() {}

  static DataSource h2() {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:idem" + H2_COUNTER.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
    return ds;
  }

  static DataSource machinePostgres() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(Services.postgresJdbcUrl());
    return ds;
  }

  static DataSource mariaDb() {
    return pooled(Services.mariaDbJdbcUrl(), 8, "mariadb");
  }

  /** An embedded primary for jqwik properties; started once per JVM, stopped at exit. */
  static synchronized PostgresCluster propertiesCluster() {
    if (propertiesCluster == null) {
      PostgresCluster started = PostgresCluster.start(0);
      Runtime.getRuntime().addShutdownHook(new Thread(started::close));
      propertiesCluster = started;
    }
    return propertiesCluster;
  }

  /** A HikariCP pool; closed at JVM exit. */
  static HikariDataSource pooled(String jdbcUrl, int size, String name) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(jdbcUrl);
    hc.setMaximumPoolSize(size);
    hc.setMinimumIdle(0);
    hc.setPoolName(name + "-" + H2_COUNTER.incrementAndGet());
    HikariDataSource ds = new HikariDataSource(hc);
    Runtime.getRuntime().addShutdownHook(new Thread(ds::close));
    return ds;
  }

  static void dropTable(DataSource ds, String table) {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute("DROP TABLE IF EXISTS " + table);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Drops a PostgreSQL table with what depends on it (the partitioned layout's claim function). */
  static void dropTableCascade(DataSource ds, String table) {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute("DROP TABLE IF EXISTS " + table + " CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A table name unique to this JVM run, so parallel runs on the shared databases never collide.
   */
  /**
   * A store on {@code base}'s table and settings with {@code maxBodyBytes} as its outcome limit,
   * for the contract's size-limit test.
   */
  static JdbcIdempotencyStore withBodyLimit(
      DataSource dataSource,
      io.github.reliability4j.core.idempotency.IdempotencyStore base,
      int max) {
    return JdbcIdempotencyStore.create(
        dataSource,
        JdbcIdempotencyStoreConfig.from(((JdbcIdempotencyStore) base).getConfig())
            .maxBodyBytes(max)
            .initializeSchema(false)
            .build());
  }

  static String uniqueTable(String prefix) {
    return prefix
        + "_"
        + Long.toString(ProcessHandle.current().pid(), 36)
        + "_"
        + Long.toString(System.nanoTime() & 0xffffff, 36);
  }
}
