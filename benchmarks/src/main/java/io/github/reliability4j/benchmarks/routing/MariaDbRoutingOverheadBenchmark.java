package io.github.reliability4j.benchmarks.routing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.test.mariadb.MariaDbCluster;
import io.github.reliability4j.test.mariadb.MariaDbNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/*
 * Group 3m: group 3 on MariaDB. Each operation obtains a connection, runs SELECT 1 on the replica,
 * reads the row and closes the connection, on a local MariaDB primary + GTID replica started by the
 * test kit from the machine's mariadbd (HikariCP pools of 2 connections per node, MariaDB
 * Connector/J). Needs mariadbd and mariadb-install-db; without them the fork fails at set-up with a
 * message saying so and the other benchmarks still run.
 *
 * - rawPool: the replica's pool used directly.
 * - routingNoToken: ReplicaRoutingDataSource, read-only connection, no causal token.
 * - routingCoveredToken: inside Consistency.session(s) where s holds the @@last_gtid of a
 *   committed write that the replica's last known @@gtid_slave_pos already covers.
 *
 * Round trips are counted at set-up on the servers themselves (the Questions status counter of
 * each node, read on a dedicated connection, routing without its lag monitor; COM_PING is not a
 * question, but HikariCP does not validate a connection borrowed again within 500 ms), printed, and
 * set-up fails if a covered token costs a round trip that the no-token path does not.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Threads(1)
public class MariaDbRoutingOverheadBenchmark {

  static final String CREATE_TABLE =
      "CREATE TABLE IF NOT EXISTS bench_writes (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)";
  static final int COUNTED_OPERATIONS = 500;

  private MariaDbCluster cluster;
  private HikariDataSource primaryPool;
  private HikariDataSource replicaPool;
  private ReplicaRoutingDataSource routing;
  private ConsistencySession coveredSession;

  @Setup(Level.Trial)
  public void setUp() throws SQLException {
    if (!MariaDbCluster.binariesAvailable()) {
      throw new IllegalStateException(
          "MariaDbRoutingOverheadBenchmark needs the MariaDB server binaries (mariadbd,"
              + " mariadb-install-db): apt-get install mariadb-server");
    }
    cluster = MariaDbCluster.start(1);
    primaryPool = pool("m-primary", cluster.primary().jdbcUrl());
    replicaPool = pool("m-replica", cluster.replica(0).jdbcUrl());
    routing = RoutingOverheadBenchmark.routingDataSource(primaryPool, replicaPool, true);
    coveredSession = Routing.coveredSession(routing, "replica-0", CREATE_TABLE);
    Routing.requireReadRoutedTo(routing, null, "replica-0");
    Routing.requireReadRoutedTo(routing, coveredSession, "replica-0");
    System.out.println(countRoundTrips());
  }

  static HikariDataSource pool(String name, String url) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(2);
    config.setMinimumIdle(2);
    config.setAutoCommit(true);
    return new HikariDataSource(config);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    routing.close();
    replicaPool.close();
    primaryPool.close();
    cluster.close();
  }

  @Benchmark
  public int rawPool() throws SQLException {
    try (Connection c = replicaPool.getConnection()) {
      return RoutingOverheadBenchmark.read(c);
    }
  }

  @Benchmark
  public int routingNoToken() throws SQLException {
    try (Connection c = routing.getConnection()) {
      c.setReadOnly(true);
      return RoutingOverheadBenchmark.read(c);
    }
  }

  @Benchmark
  public int routingCoveredToken() throws SQLException {
    try (Consistency.Scope scope = Consistency.session(coveredSession);
        Connection c = routing.getConnection()) {
      c.setReadOnly(true);
      return RoutingOverheadBenchmark.read(c);
    }
  }

  // ---------------------------------------------------------------- round trips

  interface Op {
    void run() throws SQLException;
  }

  /** Statements per operation as each server counts them (Questions), for every path. */
  String countRoundTrips() throws SQLException {
    try (ReplicaRoutingDataSource quiet =
            RoutingOverheadBenchmark.routingDataSource(primaryPool, replicaPool, false);
        Counter primary = new Counter(cluster.primary());
        Counter replica = new Counter(cluster.replica(0))) {
      quiet.sampleNow();
      ConsistencySession covered = Routing.coveredSession(quiet, "replica-0", CREATE_TABLE);
      double[] raw = count(primary, replica, this::rawPool);
      double[] noToken =
          count(
              primary,
              replica,
              () -> {
                try (Connection c = quiet.getConnection()) {
                  c.setReadOnly(true);
                  RoutingOverheadBenchmark.read(c);
                }
              });
      double[] coveredToken =
          count(
              primary,
              replica,
              () -> {
                try (Consistency.Scope s = Consistency.session(covered);
                    Connection c = quiet.getConnection()) {
                  c.setReadOnly(true);
                  RoutingOverheadBenchmark.read(c);
                }
              });
      String report =
          String.format(
              "MariaDB round trips per operation (server Questions, %d operations each):%n"
                  + "  raw pool:                  primary %.2f, replica %.2f%n"
                  + "  routing, no token:         primary %.2f, replica %.2f%n"
                  + "  routing, covered token:    primary %.2f, replica %.2f%n",
              COUNTED_OPERATIONS,
              raw[0],
              raw[1],
              noToken[0],
              noToken[1],
              coveredToken[0],
              coveredToken[1]);
      // A real extra round trip costs 1 per operation; allow for a stray statement or two.
      if (coveredToken[0] + coveredToken[1] > noToken[0] + noToken[1] + 0.5) {
        throw new IllegalStateException("a covered token cost extra round trips:\n" + report);
      }
      return report;
    }
  }

  private static double[] count(Counter primary, Counter replica, Op op) throws SQLException {
    for (int i = 0; i < 20; i++) {
      op.run();
    }
    long p0 = primary.questions();
    long r0 = replica.questions();
    for (int i = 0; i < COUNTED_OPERATIONS; i++) {
      op.run();
    }
    // Each reading of the counter is one question itself.
    long p = primary.questions() - p0 - 1;
    long r = replica.questions() - r0 - 1;
    return new double[] {(double) p / COUNTED_OPERATIONS, (double) r / COUNTED_OPERATIONS};
  }

  /** A dedicated connection reading a node's global Questions counter. */
  static final class Counter implements AutoCloseable {
    private final Connection connection;

    Counter(MariaDbNode node) throws SQLException {
      DataSource ds = node.dataSource();
      this.connection = ds.getConnection();
    }

    long questions() throws SQLException {
      try (Statement s = connection.createStatement();
          ResultSet rs = s.executeQuery("SHOW GLOBAL STATUS LIKE 'Questions'")) {
        rs.next();
        return rs.getLong(2);
      }
    }

    @Override
    public void close() throws SQLException {
      connection.close();
    }
  }
}
