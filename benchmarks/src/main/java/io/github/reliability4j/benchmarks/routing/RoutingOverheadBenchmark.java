package io.github.reliability4j.benchmarks.routing;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.benchmarks.support.BenchDatabase;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.jdbc.routing.RoutingConfig;
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
import org.springframework.jdbc.datasource.LazyConnectionDataSourceProxy;

/*
 * Group 3: what routing a read costs. Each operation obtains a connection, runs SELECT 1 on the
 * replica, reads the row and closes the connection, on an embedded PostgreSQL 14 primary + streaming
 * replica (HikariCP pools of 2 connections per node, filled before measuring).
 *
 * - rawPool: the replica's HikariCP pool used directly (the floor: what a hand-wired read costs).
 * - routingNoToken: ReplicaRoutingDataSource, read-only connection, no causal token in the session.
 * - routingCoveredToken: the same inside Consistency.session(s) where s holds the token of a
 *   committed write that the replica's last known position already covers (no wait, no extra
 *   round trip expected). Opening and closing the session scope is included (per request cost).
 * - lazyProxy: Spring's LazyConnectionDataSourceProxy over the primary pool with the replica pool
 *   as read-only DataSource (Spring 6.1.2+), read-only connection.
 *
 * Round trips of these paths are counted by RoundTripReport.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Threads(1)
public class RoutingOverheadBenchmark {

  static final String QUERY = "SELECT 1";

  private BenchDatabase db;
  private HikariDataSource primaryPool;
  private HikariDataSource replicaPool;
  private ReplicaRoutingDataSource routing;
  private LazyConnectionDataSourceProxy lazy;
  private ConsistencySession coveredSession;

  @Setup(Level.Trial)
  public void setUp() throws SQLException {
    db = BenchDatabase.open();
    primaryPool = BenchDatabase.pool("primary", BenchDatabase.plain(db.primaryUrl()), 2);
    replicaPool = BenchDatabase.pool("replica", BenchDatabase.plain(db.replicaUrl()), 2);
    routing = routingDataSource(primaryPool, replicaPool, true);
    coveredSession = Routing.coveredSession(routing, "replica-0");
    Routing.requireReadRoutedTo(routing, null, "replica-0");
    Routing.requireReadRoutedTo(routing, coveredSession, "replica-0");
    lazy = new LazyConnectionDataSourceProxy(primaryPool);
    lazy.setReadOnlyDataSource(replicaPool);
  }

  static ReplicaRoutingDataSource routingDataSource(
      DataSource primary, DataSource replica, boolean monitor) {
    return new ReplicaRoutingDataSource(
        RoutingConfig.custom()
            .primary("primary", primary)
            .replica("replica-0", replica)
            .monitor(monitor)
            .build());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    routing.close();
    replicaPool.close();
    primaryPool.close();
    db.close();
  }

  static int read(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(QUERY)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Benchmark
  public int rawPool() throws SQLException {
    try (Connection c = replicaPool.getConnection()) {
      return read(c);
    }
  }

  @Benchmark
  public int routingNoToken() throws SQLException {
    try (Connection c = routing.getConnection()) {
      c.setReadOnly(true);
      return read(c);
    }
  }

  @Benchmark
  public int routingCoveredToken() throws SQLException {
    try (Consistency.Scope scope = Consistency.session(coveredSession);
        Connection c = routing.getConnection()) {
      c.setReadOnly(true);
      return read(c);
    }
  }

  @Benchmark
  public int lazyProxy() throws SQLException {
    try (Connection c = lazy.getConnection()) {
      c.setReadOnly(true);
      return read(c);
    }
  }
}
