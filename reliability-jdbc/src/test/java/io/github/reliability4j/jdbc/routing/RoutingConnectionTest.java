package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.NodeRole;
import io.github.reliability4j.core.routing.ReadPreference;
import io.github.reliability4j.core.routing.RoutingPolicy;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Proxy semantics of the logical connection, against three independent H2 databases standing in for
 * a primary and two replicas (time-window dialect, injected clock).
 */
class RoutingConnectionTest {

  static final class MutableClock extends Clock {
    volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** Counts physical connections taken and still open. */
  static final class CountingDataSource extends TestDataSource {
    final DataSource delegate;
    final AtomicInteger taken = new AtomicInteger();
    final AtomicInteger open = new AtomicInteger();

    CountingDataSource(DataSource delegate) {
      this.delegate = delegate;
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection real = delegate.getConnection();
      taken.incrementAndGet();
      open.incrementAndGet();
      AtomicInteger closed = new AtomicInteger();
      return (Connection)
          Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {Connection.class},
              (proxy, m, args) -> {
                if (m.getName().equals("close") && closed.getAndIncrement() == 0) {
                  open.decrementAndGet();
                }
                try {
                  return m.invoke(real, args);
                } catch (InvocationTargetException e) {
                  throw e.getCause();
                }
              });
    }
  }

  static int dbCounter;
  final MutableClock clock = new MutableClock();
  CountingDataSource primary;
  CountingDataSource replica1;
  CountingDataSource replica2;
  ReplicaRoutingDataSource ds;

  static CountingDataSource h2(String node) throws SQLException {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:routing-" + node + "-" + (++dbCounter) + ";DB_CLOSE_DELAY=-1");
    try (Connection c = h2.getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE node (name VARCHAR(20))");
      s.execute("INSERT INTO node VALUES ('" + node + "')");
      s.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
    }
    return new CountingDataSource(h2);
  }

  @BeforeEach
  void setUp() throws SQLException {
    primary = h2("primary");
    replica1 = h2("r1");
    replica2 = h2("r2");
    ds =
        new ReplicaRoutingDataSource(
            RoutingConfig.custom()
                .primary("primary", primary)
                .replica("r1", replica1)
                .replica("r2", replica2)
                .dialect(TimeWindowReplicationDialect.of(Duration.ofSeconds(2), clock, "h2-test"))
                .policy(RoutingPolicy.custom().maxCausalWait(Duration.ZERO).build())
                .clock(clock)
                .monitor(false)
                .build());
    // The time window needs one window of primary history before replicas count as measured.
    clock.now = clock.now.plusSeconds(2);
    ds.sampleNow();
  }

  @AfterEach
  void tearDown() {
    ds.close();
  }

  static String node(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT name FROM node")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private int physicalTaken() {
    return primary.taken.get() + replica1.taken.get() + replica2.taken.get();
  }

  private int physicalOpen() {
    return primary.open.get() + replica1.open.get() + replica2.open.get();
  }

  @Test
  void unknownDatabaseWithoutAnExplicitDialectIsAClearError() throws SQLException {
    CountingDataSource p = h2("p");
    assertThatThrownBy(
            () ->
                new ReplicaRoutingDataSource(
                    RoutingConfig.custom().primary("main", p).monitor(false).build()))
        .isInstanceOf(RoutingConfigurationException.class)
        .hasMessageContaining("no replication dialect for database 'H2'")
        .hasMessageContaining("TimeWindowReplicationDialect");
  }

  @Test
  void noPhysicalConnectionUntilTheFirstStatement() throws SQLException {
    int before = physicalTaken();
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      c.setAutoCommit(false);
      assertThat(physicalTaken()).isEqualTo(before);
      assertThat(node(c)).startsWith("r");
      c.commit();
    }
    assertThat(physicalOpen()).isZero();
  }

  @Test
  void writesGoToThePrimaryAndReadOnlyToAReplica() throws SQLException {
    try (Consistency.Scope s = Consistency.session();
        Connection c = ds.getConnection()) {
      assertThat(node(c)).isEqualTo("primary");
    }
    try (Consistency.Scope s = Consistency.session();
        Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      assertThat(node(c)).startsWith("r");
      assertThat(c.unwrap(RoutedConnection.class).routeDecision().orElseThrow().role())
          .isEqualTo(NodeRole.REPLICA);
    }
  }

  @Test
  void timeWindowSendsTheSessionToThePrimaryUntilTheWindowHasPassed() throws SQLException {
    ConsistencySession session = ConsistencySession.create();
    try (Consistency.Scope s = Consistency.session(session)) {
      try (Connection c = ds.getConnection();
          Statement st = c.createStatement()) {
        st.executeUpdate("INSERT INTO t VALUES (1, 1)");
      }
      assertThat(session.token(ds.clusterId())).isPresent();
      try (Connection c = ds.getConnection()) {
        c.setReadOnly(true);
        assertThat(node(c)).isEqualTo("primary");
      }
      clock.now = clock.now.plusSeconds(3);
      ds.sampleNow();
      try (Connection c = ds.getConnection()) {
        c.setReadOnly(true);
        assertThat(node(c)).startsWith("r");
      }
    }
  }

  @Test
  void deferredStatementReplaysSettersInOrder() throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.executeUpdate("INSERT INTO t VALUES (7, 70)");
      }
      c.commit();
    }
    try (Consistency.Scope s = Consistency.session();
        Consistency.Scope o = Consistency.options(ReadPreference.PRIMARY);
        Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      int before = physicalTaken();
      PreparedStatement ps = c.prepareStatement("SELECT v FROM t WHERE id = ?");
      ps.setQueryTimeout(3);
      ps.setInt(1, 8);
      ps.clearParameters();
      ps.setInt(1, 7);
      ps.setMaxRows(5);
      assertThat(physicalTaken()).as("nothing routed before execution").isEqualTo(before);
      assertThat(ps.getQueryTimeout()).isEqualTo(3);
      assertThat(ps.getConnection()).isSameAs(c);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(70);
      }
      assertThat(ps.getMaxRows()).isEqualTo(5);
      assertThat(ps.getQueryTimeout()).isEqualTo(3);
      ps.close();
      assertThat(ps.isClosed()).isTrue();
      assertThatThrownBy(ps::executeQuery).hasMessage("Statement is closed");
    }
  }

  @Test
  void autoCommitAndTransactionsBehaveLikeTheUnderlyingConnection() throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.executeUpdate("INSERT INTO t VALUES (1, 1)");
        c.rollback();
        st.executeUpdate("INSERT INTO t VALUES (2, 2)");
        c.commit();
        st.executeUpdate("INSERT INTO t VALUES (3, 3)");
      }
      // Switching auto-commit on commits the open transaction.
      c.setAutoCommit(true);
    }
    try (Connection c = primary.delegate.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id FROM t ORDER BY id")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(2);
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(3);
      assertThat(rs.next()).isFalse();
    }
  }

  @Test
  void switchingBetweenReadsAndWritesKeepsAtMostOnePhysicalConnectionPerRole() throws SQLException {
    // ANY: statements on the write-routed primary count as writes and would otherwise send the
    // session's reads to the primary for the whole time window.
    try (Consistency.Scope s = Consistency.session();
        Consistency.Scope o = Consistency.options(ConsistencyLevel.ANY);
        Connection c = ds.getConnection()) {
      for (int i = 0; i < 5; i++) {
        c.setReadOnly(true);
        assertThat(node(c)).startsWith("r");
        c.setReadOnly(false);
        assertThat(node(c)).isEqualTo("primary");
      }
      assertThat(physicalOpen()).isEqualTo(2);
    }
    assertThat(physicalOpen()).isZero();
  }

  @Test
  void closedConnectionThrowsConnectionIsClosed() throws SQLException {
    Connection c = ds.getConnection();
    Statement st = c.createStatement();
    c.close();
    assertThat(c.isClosed()).isTrue();
    assertThat(c.isValid(1)).isFalse();
    assertThatThrownBy(() -> c.prepareStatement("SELECT 1")).hasMessage("Connection is closed");
    assertThatThrownBy(c::getAutoCommit).hasMessage("Connection is closed");
    assertThatThrownBy(() -> st.executeQuery("SELECT 1")).hasMessage("Connection is closed");
    assertThatThrownBy(() -> ds.getConnection("u", "p"))
        .isInstanceOf(java.sql.SQLFeatureNotSupportedException.class);
  }

  @Test
  void closedDataSourceRefusesConnections() {
    ds.close();
    assertThatThrownBy(ds::getConnection).hasMessage("DataSource is closed");
  }

  @Test
  void replicaConnectionFailureFallsBackAndEjectsTheReplica() throws SQLException {
    ReplicaRoutingDataSource failing =
        new ReplicaRoutingDataSource(
            RoutingConfig.custom()
                .primary("primary", primary)
                .replica("broken", new ReplicaRoutingFailoverTest.SwitchableDataSource(replica1))
                .dialect(TimeWindowReplicationDialect.of(Duration.ofSeconds(2), clock, "h2-test"))
                .clock(clock)
                .monitor(false)
                .build());
    try {
      clock.now = clock.now.plusSeconds(2);
      failing.sampleNow();
      assertThat(failing.lagView().replica("broken").orElseThrow().admitted()).isTrue();
      ReplicaRoutingFailoverTest.SwitchableDataSource sw =
          (ReplicaRoutingFailoverTest.SwitchableDataSource) failing.config.replica("broken");
      sw.down = true;
      try (Consistency.Scope s = Consistency.session();
          Connection c = failing.getConnection()) {
        c.setReadOnly(true);
        assertThat(node(c)).isEqualTo("primary");
      }
      assertThat(failing.lagView().replica("broken").orElseThrow().admitted()).isFalse();
    } finally {
      failing.close();
    }
  }

  @Test
  void resultSetReturnsTheStatementTheCallerHolds() throws SQLException {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT name FROM node")) {
      assertThat(rs.getStatement()).isSameAs(st);
      assertThat(rs.getStatement().getConnection()).isSameAs(c);
    }
  }

  @Test
  void unscopedWritesAdvanceTheDefaultSessionThatUnscopedReadsHonour() throws SQLException {
    assertThat(ds.defaultSession().token(ds.clusterId())).isEmpty();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.executeUpdate("INSERT INTO t VALUES (5, 5)");
    }
    assertThat(ds.defaultSession().token(ds.clusterId())).isPresent();
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      assertThat(node(c)).isEqualTo("primary");
    }
    // A fresh scoped session has seen no writes and may read a replica.
    try (Consistency.Scope s = Consistency.session();
        Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      assertThat(node(c)).startsWith("r");
    }
  }

  @Test
  void metadataDoesNotRouteTheConnectionAndNamesTheLogicalOne() throws SQLException {
    try (Connection c = ds.getConnection()) {
      java.sql.DatabaseMetaData md = c.getMetaData();
      assertThat(md.getDatabaseProductName()).isEqualTo("H2");
      assertThat(md.getConnection()).isSameAs(c);
      assertThat(md.isWrapperFor(java.sql.DatabaseMetaData.class)).isTrue();
      assertThat(c.unwrap(RoutedConnection.class).routeDecision())
          .as("metadata made no routing decision")
          .isEmpty();
      c.setReadOnly(true);
      assertThat(node(c)).as("the first read is still routed as a read").startsWith("r");
      assertThat(md.getDatabaseProductName()).isEqualTo("H2");
    }
    assertThat(physicalOpen()).as("the metadata connection is returned on close").isZero();
  }

  @Test
  void metadataOfAReadOnlyConnectionTakesNoReplica() throws SQLException {
    int replicasBefore = replica1.taken.get() + replica2.taken.get();
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      assertThat(c.getMetaData().getMaxConnections()).isGreaterThanOrEqualTo(0);
      assertThat(c.isWrapperFor(org.h2.jdbc.JdbcConnection.class)).isTrue();
      assertThat(replica1.taken.get() + replica2.taken.get()).isEqualTo(replicasBefore);
      assertThat(c.unwrap(RoutedConnection.class).routeDecision()).isEmpty();
    }
    assertThat(physicalOpen()).isZero();
  }

  @Test
  void aWriteThroughTheUnwrappedDriverConnectionAdvancesTheSession() throws SQLException {
    ConsistencySession session = ConsistencySession.create();
    try (Consistency.Scope s = Consistency.session(session)) {
      try (Connection c = ds.getConnection()) {
        Connection raw = c.unwrap(org.h2.jdbc.JdbcConnection.class);
        try (Statement st = raw.createStatement()) {
          st.executeUpdate("INSERT INTO t VALUES (7, 7)");
        }
      }
      assertThat(session.token(ds.clusterId()))
          .as("auto-commit: position captured when the logical connection closes")
          .isPresent();
    }
    ConsistencySession tx = ConsistencySession.create();
    try (Consistency.Scope s = Consistency.session(tx);
        Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      Connection raw = c.unwrap(org.h2.jdbc.JdbcConnection.class);
      try (Statement st = raw.createStatement()) {
        st.executeUpdate("INSERT INTO t VALUES (8, 8)");
      }
      c.commit();
      assertThat(tx.token(ds.clusterId())).as("transaction: captured at commit").isPresent();
    }
  }
}
