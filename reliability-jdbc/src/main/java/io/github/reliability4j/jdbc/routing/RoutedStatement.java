package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.NodeRole;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/*
 * Why statements are wrapped:
 * - getConnection() must return the logical connection, not the physical one, and
 *   ResultSet.getStatement() the statement the caller holds (RoutedResultSet);
 * - executions drive the transaction bookkeeping (txActive, position capture);
 * - for a connection that has not chosen its node yet and routes as a read, creation is deferred
 *   until the first execution, so the causal wait can be bounded by the statement's query timeout
 *   (frameworks such as JdbcTemplate call setQueryTimeout after prepareStatement). Until then
 *   get/setQueryTimeout are answered here and setters are recorded and replayed in order on the
 *   real statement.
 * - a read on a replica that fails with a connection error (the replica died; the pool handed out
 *   a connection that was alive a moment ago) is re-routed once: the replica is ejected, the
 *   statement re-created elsewhere, its recorded setters replayed and the call repeated. Only
 *   reads that are the first statement of their transaction (or auto-commit) are retried, so no
 *   transaction ever spans two nodes. For this, setters keep being recorded while the statement
 *   lives on a replica.
 *
 * How: the pass-through is written once in DelegatingStatement, DelegatingPreparedStatement and
 * DelegatingCallableStatement (and DelegatingResultSet), which send every setter through set(...)
 * and every execution through execute(...); this class implements those two hooks once for all
 * three statement types, as HikariCP's proxies override only what they intercept. Only
 * getConnection, close/isClosed, the query timeout, unwrap/isWrapperFor, setters and executions do
 * more than delegate. A setter is recorded as its small lambda only while recording
 * (deferred, or on a replica), never on the primary; the list is allocated at the first recorded
 * setter, so a plain Statement on a replica records nothing. The arguments of the
 * createStatement / prepareStatement / prepareCall overload are kept in fields, so deferred
 * creation needs no factory object either. Every method except close, isClosed, toString, and
 * unwrap / isWrapperFor to the wrapper's own types, first checks that the statement ("Statement is
 * closed", HY010) and its connection are open.
 */
/**
 * A {@link Statement} of a {@link RoutingConnection}; see the design notes above. Not thread-safe,
 * like the connection.
 */
class RoutedStatement<S extends Statement> extends DelegatingStatement<S> {

  /**
   * The overload of createStatement / prepareStatement / prepareCall that creates the statement.
   */
  enum Overload {
    PLAIN,
    TYPE_CONCURRENCY,
    TYPE_CONCURRENCY_HOLDABILITY,
    GENERATED_KEYS,
    COLUMN_INDEXES,
    COLUMN_NAMES
  }

  final RoutingConnection owner;
  final Overload overload;
  final int resultSetType;
  final int resultSetConcurrency;
  final int resultSetHoldability;

  /** The physical statement; null until routed (deferred) and during a re-route. */
  S real;

  Physical physical;

  /** Whether setters are recorded: while deferred and while on a replica. */
  private boolean recording;

  /** Setters in call order; null until the first one is recorded. */
  private List<Setter<? super S>> recorded;

  /** The query timeout while deferred (bounds the causal wait). */
  private int queryTimeout;

  private boolean closed;

  RoutedStatement(
      RoutingConnection owner,
      Overload overload,
      int resultSetType,
      int resultSetConcurrency,
      int resultSetHoldability) {
    this.owner = owner;
    this.overload = overload;
    this.resultSetType = resultSetType;
    this.resultSetConcurrency = resultSetConcurrency;
    this.resultSetHoldability = resultSetHoldability;
  }

  /** Creates the physical statement on {@code c}; overridden by each statement type. */
  @SuppressWarnings(
      "unchecked") // a RoutedStatement of its own class is a RoutedStatement<Statement>
  S create(Connection c) throws SQLException {
    switch (overload) {
      case PLAIN:
        return (S) c.createStatement();
      case TYPE_CONCURRENCY:
        return (S) c.createStatement(resultSetType, resultSetConcurrency);
      case TYPE_CONCURRENCY_HOLDABILITY:
        return (S) c.createStatement(resultSetType, resultSetConcurrency, resultSetHoldability);
      default:
        throw new IllegalStateException("createStatement has no overload " + overload);
    }
  }

  /**
   * Creates the physical statement on {@code p} now, or, if {@code p} is null, defers its creation
   * to the first execution.
   */
  final void attach(Physical p) throws SQLException {
    if (p == null) {
      recording = true;
      return;
    }
    real = create(p.connection);
    physical = p;
    recording = p.role == NodeRole.REPLICA;
  }

  static boolean isConnectionError(SQLException e) {
    String state = e.getSQLState();
    // 08: connection exceptions; 57P01-57P03: PostgreSQL admin/crash shutdown, cannot connect now.
    return (state != null && (state.startsWith("08") || state.startsWith("57P")))
        || e instanceof SQLRecoverableException
        || e instanceof SQLNonTransientConnectionException
        || e instanceof SQLTransientConnectionException;
  }

  final void checkOpen() throws SQLException {
    if (closed) {
      throw new SQLException("Statement is closed", "HY010");
    }
    owner.checkOpen();
  }

  /** Checks that this statement is open and returns the physical statement, creating it if due. */
  @Override
  final S delegate() throws SQLException {
    checkOpen();
    if (real == null) {
      materialize();
    }
    return real;
  }

  /**
   * Checks that this statement is open, records the setter while recording and applies it to the
   * physical statement if there is one (while deferred there is none: it is only recorded).
   */
  @Override
  final void set(Setter<? super S> setter) throws SQLException {
    checkOpen();
    if (recording) {
      record(setter);
      if (real == null) {
        return;
      }
    }
    setter.apply(real);
  }

  private void record(Setter<? super S> setter) {
    if (recorded == null) {
      recorded = new ArrayList<>(4);
    }
    recorded.add(setter);
  }

  /**
   * Routes a deferred statement, runs the execution, and re-routes it once if it may be (see the
   * design notes); tells the connection before and after.
   */
  @Override
  final <T> T execute(boolean query, Call<? super S, T> execution) throws SQLException {
    boolean retryable = beforeExecute(query);
    T result;
    try {
      result = execution.apply(real);
    } catch (SQLException e) {
      reroute(e, retryable, query);
      result = execution.apply(real);
    }
    owner.afterExecute(physical, query);
    return result;
  }

  /** Routes the deferred statement (or re-routes it), creates it and replays the setters. */
  private void materialize() throws SQLException {
    Physical p = owner.physicalForRead(queryTimeout);
    S s = create(p.connection);
    if (recorded != null) {
      try {
        for (Setter<? super S> setter : recorded) {
          setter.apply(s);
        }
      } catch (Throwable t) {
        try {
          s.close();
        } catch (SQLException e) {
          t.addSuppressed(e);
        }
        throw t;
      }
    }
    physical = p;
    real = s;
    if (p.role != NodeRole.REPLICA) {
      recording = false;
      recorded = null;
    }
  }

  /**
   * Before an execution: checks, routes a deferred statement, and tells the connection. Returns
   * whether a connection error of this execution may be re-routed.
   */
  private boolean beforeExecute(boolean query) throws SQLException {
    delegate();
    boolean retryable = recording && owner.isRetryableRead(physical);
    owner.beforeExecute(physical, query);
    return retryable;
  }

  /**
   * An execution failed with {@code e}: rethrows it unless it may be re-routed; otherwise ejects
   * the replica and re-creates the statement elsewhere, so the caller can repeat the call once.
   */
  private void reroute(SQLException e, boolean retryable, boolean query) throws SQLException {
    if (!retryable || !isConnectionError(e)) {
      throw e;
    }
    owner.replicaBroken(physical, e);
    real = null;
    physical = null;
    materialize();
    owner.beforeExecute(physical, query);
  }

  @Override
  final RoutedResultSet wrap(ResultSet rs) {
    return rs == null ? null : new RoutedResultSet(rs, this);
  }

  // ---------------------------------------------------------------- intercepted

  @Override
  public Connection getConnection() throws SQLException {
    checkOpen();
    return owner;
  }

  @Override
  public void close() throws SQLException {
    if (closed) {
      return;
    }
    closed = true;
    recorded = null;
    if (real != null) {
      real.close();
    }
  }

  @Override
  public boolean isClosed() throws SQLException {
    return closed || (real != null && real.isClosed());
  }

  @Override
  public int getQueryTimeout() throws SQLException {
    checkOpen();
    return real == null ? queryTimeout : real.getQueryTimeout();
  }

  @Override
  public void setQueryTimeout(int seconds) throws SQLException {
    checkOpen();
    if (real == null) {
      if (seconds < 0) {
        throw new SQLException("Query timeout must be >= 0, but was " + seconds, "22023");
      }
      queryTimeout = seconds;
    }
    set(s -> s.setQueryTimeout(seconds));
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    return delegate().unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || delegate().isWrapperFor(iface);
  }

  @Override
  public String toString() {
    return "RoutedStatement[" + (real != null ? real : "not yet routed") + "]";
  }
}
