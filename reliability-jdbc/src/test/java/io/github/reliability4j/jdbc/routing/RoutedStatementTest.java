package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.routing.RoutingPolicy;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The statement and result set wrappers of the logical connection: deferred creation, recording and
 * replay of setters, the one re-route of a read whose replica fails, identity, unwrap and closed
 * checks. Three H2 databases stand in for a primary and two replicas; the replicas' statements can
 * be made to fail with a connection error.
 */
class RoutedStatementTest {

  /**
   * Hands out connections whose statements fail while {@code failures} (shared by the replicas) is
   * positive, one failure per execution.
   */
  static final class FlakyDataSource extends TestDataSource {
    final DataSource delegate;
    final AtomicInteger failures;

    FlakyDataSource(DataSource delegate, AtomicInteger failures) {
      this.delegate = delegate;
      this.failures = failures;
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection real = delegate.getConnection();
      return (Connection)
          Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {Connection.class},
              (proxy, m, args) -> {
                Object result = invoke(m, real, args);
                if (result instanceof Statement s) {
                  return flaky(s);
                }
                return result;
              });
    }

    private Object flaky(Statement real) {
      Class<?> type =
          real instanceof CallableStatement
              ? CallableStatement.class
              : real instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
      return Proxy.newProxyInstance(
          getClass().getClassLoader(),
          new Class<?>[] {type},
          (proxy, m, args) -> {
            if (m.getName().startsWith("execute")) {
              if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new SQLException("An I/O error occurred (simulated)", "08006");
              }
            }
            return invoke(m, real, args);
          });
    }

    private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args)
        throws Throwable {
      try {
        return m.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }

  final AtomicInteger replicaFailures = new AtomicInteger();
  final RoutingConnectionTest.MutableClock clock = new RoutingConnectionTest.MutableClock();
  RoutingConnectionTest.CountingDataSource primary;
  RoutingConnectionTest.CountingDataSource replica1;
  RoutingConnectionTest.CountingDataSource replica2;
  FlakyDataSource flaky1;
  FlakyDataSource flaky2;
  ReplicaRoutingDataSource ds;

  @BeforeEach
  void setUp() throws SQLException {
    primary = RoutingConnectionTest.h2("primary");
    replica1 = RoutingConnectionTest.h2("r1");
    replica2 = RoutingConnectionTest.h2("r2");
    for (RoutingConnectionTest.CountingDataSource node :
        new RoutingConnectionTest.CountingDataSource[] {primary, replica1, replica2}) {
      try (Connection c = node.delegate.getConnection();
          Statement s = c.createStatement()) {
        s.execute("INSERT INTO t VALUES (7, 70)");
      }
    }
    flaky1 = new FlakyDataSource(replica1, replicaFailures);
    flaky2 = new FlakyDataSource(replica2, replicaFailures);
    ds =
        new ReplicaRoutingDataSource(
            RoutingConfig.custom()
                .primary("primary", primary)
                .replica("r1", flaky1)
                .replica("r2", flaky2)
                .dialect(TimeWindowReplicationDialect.of(Duration.ofSeconds(2), clock, "h2-test"))
                .policy(RoutingPolicy.custom().maxCausalWait(Duration.ZERO).build())
                .clock(clock)
                .monitor(false)
                .build());
    clock.now = clock.now.plusSeconds(2);
    ds.sampleNow();
  }

  @AfterEach
  void tearDown() {
    ds.close();
  }

  private int physicalOpen() {
    return primary.open.get() + replica1.open.get() + replica2.open.get();
  }

  private boolean admitted(String replica) {
    return ds.lagView().replica(replica).orElseThrow().admitted();
  }

  /** Makes the next execution on either replica fail with a connection error. */
  private void failNextReplicaExecution() {
    replicaFailures.set(1);
  }

  /** The one replica ejected so far. */
  private String brokenReplica() {
    assertThat(admitted("r1")).as("exactly one replica ejected").isNotEqualTo(admitted("r2"));
    return admitted("r1") ? "r2" : "r1";
  }

  @Test
  void deferredPreparedStatementReplaysItsSettersOnTheReplicaItIsReRoutedTo() throws Exception {
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      PreparedStatement ps =
          c.prepareStatement("SELECT v, (SELECT name FROM node) FROM t WHERE id = ?");
      ps.setInt(1, 8);
      ps.clearParameters();
      ps.setInt(1, 7);
      ps.setMaxRows(5);
      ps.setQueryTimeout(4);
      assertThat(physicalOpen()).as("deferred until the first execution").isZero();
      failNextReplicaExecution();
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(70);
        String broken = brokenReplica();
        assertThat(rs.getString(2))
            .as("served by the other replica")
            .startsWith("r")
            .isNotEqualTo(broken);
        assertThat(admitted(broken)).as("the failed replica is ejected").isFalse();
        assertThat(rs.getStatement()).isSameAs(ps);
      }
      assertThat(ps.getMaxRows()).isEqualTo(5);
      assertThat(ps.getQueryTimeout()).isEqualTo(4);
      assertThat(physicalOpen()).as("the broken replica's connection was released").isEqualTo(1);
      ps.close();
    }
    assertThat(physicalOpen()).isZero();
  }

  @Test
  void statementCreatedOnAReplicaKeepsRecordingAndIsReRoutedOnce() throws Exception {
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      String first = RoutingConnectionTest.node(c);
      // The connection now holds a replica: the next statement is created on it at once.
      PreparedStatement ps =
          c.prepareStatement("SELECT v, (SELECT name FROM node) FROM t WHERE id = ?");
      ps.setInt(1, 7);
      ps.setFetchSize(3);
      failNextReplicaExecution();
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(70);
        assertThat(rs.getString(2)).isNotEqualTo(first);
      }
      assertThat(brokenReplica()).isEqualTo(first);
      assertThat(ps.getFetchSize()).isEqualTo(3);
    }
  }

  @Test
  void aReadIsReRoutedOnlyOnce() throws Exception {
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      PreparedStatement ps = c.prepareStatement("SELECT v FROM t WHERE id = ?");
      ps.setInt(1, 7);
      // Fails on one replica, then on the other it is re-routed to: the caller gets the error.
      replicaFailures.set(2);
      assertThatThrownBy(ps::executeQuery)
          .isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08006"));
      assertThat(admitted("r1") && admitted("r2")).as("one replica ejected").isFalse();
      ps.close();
    }
  }

  @Test
  void plainStatementOnAReplicaIsReRoutedAndItsResultSetKnowsTheWrapper() throws Exception {
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      Statement st = c.createStatement();
      failNextReplicaExecution();
      assertThat(st.execute("SELECT name FROM node")).isTrue();
      try (ResultSet rs = st.getResultSet()) {
        assertThat(rs.getStatement()).isSameAs(st);
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isNotEqualTo(brokenReplica());
      }
      st.close();
    }
  }

  @Test
  void aReadAfterTheFirstStatementOfItsTransactionIsNotReRouted() throws Exception {
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        assertThat(st.executeQuery("SELECT 1").next()).isTrue();
        // Second statement of a read-only transaction: never re-routed (no transaction spans two
        // nodes).
        failNextReplicaExecution();
        assertThatThrownBy(() -> st.executeQuery("SELECT 1"))
            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08006"));
      }
    }
  }

  @Test
  void callableStatementThroughTheRoutedConnection() throws Exception {
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      CallableStatement cs = c.prepareCall("{call ABS(?)}");
      cs.setInt(1, -5);
      assertThat(physicalOpen()).as("deferred").isZero();
      failNextReplicaExecution();
      try (ResultSet rs = cs.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(5);
        assertThat(rs.getStatement()).isSameAs(cs);
      }
      assertThat(cs.getConnection()).isSameAs(c);
      assertThat(cs.unwrap(CallableStatement.class)).isSameAs(cs);
      assertThat(cs.unwrap(PreparedStatement.class)).isSameAs(cs);
      assertThat(cs.isWrapperFor(CallableStatement.class)).isTrue();
      cs.close();
      assertThat(cs.isClosed()).isTrue();
    }
    try (Connection c = ds.getConnection();
        CallableStatement cs =
            c.prepareCall(
                "{call ABS(?)}", ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
      cs.setInt(1, -6);
      assertThat(cs.execute()).isTrue();
      try (ResultSet rs = cs.getResultSet()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(6);
        assertThat(rs.getStatement()).isSameAs(cs);
      }
    }
  }

  @Test
  void identityUnwrapAndCreationArguments() throws Exception {
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      Statement st =
          c.createStatement(ResultSet.TYPE_SCROLL_INSENSITIVE, ResultSet.CONCUR_READ_ONLY);
      Statement other = c.createStatement();
      assertThat(st).isEqualTo(st).isNotEqualTo(other);
      assertThat(st.hashCode()).isEqualTo(System.identityHashCode(st));
      assertThat(st.unwrap(Statement.class)).isSameAs(st);
      assertThat(st.isWrapperFor(Statement.class)).isTrue();
      assertThat(st.toString()).contains("not yet routed");
      assertThat(physicalOpen()).isZero();
      // Asking the driver routes the statement.
      assertThat(st.isWrapperFor(PreparedStatement.class)).as("a plain statement").isFalse();
      assertThat(st.unwrap(org.h2.jdbc.JdbcStatement.class)).isNotNull();
      assertThat(st.getResultSetType()).isEqualTo(ResultSet.TYPE_SCROLL_INSENSITIVE);
      try (ResultSet rs = st.executeQuery("SELECT name FROM node")) {
        assertThat(rs.unwrap(org.h2.jdbc.JdbcResultSet.class)).isNotNull();
        assertThat(rs.isWrapperFor(ResultSet.class)).isTrue();
        assertThat(rs.next()).isTrue();
        assertThat(rs.first()).as("scrollable, as requested").isTrue();
      }
      other.close();
      st.close();
    }
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement("INSERT INTO t VALUES (11, 110)", Statement.RETURN_GENERATED_KEYS)) {
      assertThat(ps.executeUpdate()).isEqualTo(1);
      try (ResultSet keys = ps.getGeneratedKeys()) {
        assertThat(keys.getStatement()).isSameAs(ps);
      }
      try (PreparedStatement byName =
          c.prepareStatement("INSERT INTO t VALUES (12, 120)", new String[] {"ID"})) {
        assertThat(byName.executeUpdate()).isEqualTo(1);
        assertThat(byName.getConnection()).isSameAs(c);
      }
    }
  }

  @Test
  void closedStatementAndInvalidTimeoutAreReportedWithTheirSqlState() throws Exception {
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      Statement st = c.createStatement();
      assertThatThrownBy(() -> st.setQueryTimeout(-1))
          .isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("22023"));
      st.close();
      st.close();
      assertThat(st.isClosed()).isTrue();
      assertThatThrownBy(st::getMaxRows)
          .hasMessage("Statement is closed")
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("HY010"));
      assertThatThrownBy(() -> st.setMaxRows(1)).hasMessage("Statement is closed");
      assertThatThrownBy(st::getConnection).hasMessage("Statement is closed");
      assertThatThrownBy(() -> st.executeQuery("SELECT 1")).hasMessage("Statement is closed");
      assertThat(physicalOpen()).as("a closed deferred statement never routes").isZero();
    }
  }
}
