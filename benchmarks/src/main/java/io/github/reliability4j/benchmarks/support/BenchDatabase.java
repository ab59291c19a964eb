package io.github.reliability4j.benchmarks.support;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.test.postgres.PostgresCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The embedded PostgreSQL (primary + one streaming replica) that the JDBC and routing benchmarks
 * run against.
 *
 * <p>When the launcher ({@link BenchmarkMain}) runs the suite it starts one cluster for the whole
 * run and hands its URLs to every JMH fork through the system properties {@value #PRIMARY_URL} and
 * {@value #REPLICA_URL}, so forks do not pay for a cluster start and bulk-loaded tables are reused.
 * When a benchmark is run on its own ({@code java -jar benchmarks.jar RoutingOverhead}) and the
 * properties are absent, the fork starts a private cluster and stops it at tear-down.
 */
public final class BenchDatabase implements AutoCloseable {

  public static final String PRIMARY_URL = "reliability4j.bench.primaryUrl";
  public static final String REPLICA_URL = "reliability4j.bench.replicaUrl";

  private final String primaryUrl;
  private final String replicaUrl;
  private final PostgresCluster ownedCluster;

  private BenchDatabase(String primaryUrl, String replicaUrl, PostgresCluster ownedCluster) {
    this.primaryUrl = primaryUrl;
    this.replicaUrl = replicaUrl;
    this.ownedCluster = ownedCluster;
  }

  /** Connects to the launcher's cluster, or starts a private one. */
  public static BenchDatabase open() {
    String primary = System.getProperty(PRIMARY_URL);
    String replica = System.getProperty(REPLICA_URL);
    if (primary != null && replica != null) {
      return new BenchDatabase(primary, replica, null);
    }
    PostgresCluster cluster = startCluster();
    return new BenchDatabase(cluster.primary().jdbcUrl(), cluster.replica(0).jdbcUrl(), cluster);
  }

  /** Starts the primary + one replica used by a whole benchmark run. */
  public static PostgresCluster startCluster() {
    return PostgresCluster.start(1);
  }

  public String primaryUrl() {
    return primaryUrl;
  }

  public String replicaUrl() {
    return replicaUrl;
  }

  /** A non-pooled PgJDBC DataSource for {@code url}. */
  public static DataSource plain(String url) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(url);
    return ds;
  }

  /**
   * A HikariCP pool of {@code size} connections (fixed size, so no connection is opened during a
   * measurement) over {@code physical}.
   */
  public static HikariDataSource pool(String name, DataSource physical, int size) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setDataSource(physical);
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(size);
    config.setAutoCommit(true);
    return new HikariDataSource(config);
  }

  /** Runs one statement in auto-commit mode on the primary, outside any pool. */
  public void execute(String sql) throws SQLException {
    try (Connection c = plain(primaryUrl).getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Runs a {@code SELECT count(*) ...} (or any single-long query) on the primary. */
  public long queryLong(String sql) throws SQLException {
    try (Connection c = plain(primaryUrl).getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public void close() {
    if (ownedCluster != null) {
      ownedCluster.close();
    }
  }
}
