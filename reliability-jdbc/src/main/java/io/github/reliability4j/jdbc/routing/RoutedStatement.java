package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.NodeRole;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.sql.SQLWarning;
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
 * How: hand-written delegating classes, as HikariCP's proxies (RoutedStatement,
 * RoutedPreparedStatement, RoutedCallableStatement, RoutedResultSet), because every read goes
 * through them: a java.lang.reflect.Proxy costs a reflective call, a boxed argument array and a
 * recorded Object[] per call. Only getConnection, close/isClosed, the query timeout, setters and
 * executions do more than delegate. A setter is recorded as a small lambda only while recording
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
class RoutedStatement implements Statement {

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

  /** A recorded setter, replayed on a (re-)created statement. */
  @FunctionalInterface
  interface Setter {
    void apply(Statement statement) throws SQLException;
  }

  final RoutingConnection owner;
  final Overload overload;
  final int resultSetType;
  final int resultSetConcurrency;
  final int resultSetHoldability;

  /** The physical statement; null until routed (deferred) and during a re-route. */
  Statement real;

  RoutingConnection.Physical physical;

  /** Whether setters are recorded: while deferred and while on a replica. */
  private boolean recording;

  /** Setters in call order; null until the first one is recorded. */
  private List<Setter> recorded;

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

  /** Creates the physical statement on {@code c}. */
  Statement create(Connection c) throws SQLException {
    switch (overload) {
      case PLAIN:
        return c.createStatement();
      case TYPE_CONCURRENCY:
        return c.createStatement(resultSetType, resultSetConcurrency);
      case TYPE_CONCURRENCY_HOLDABILITY:
        return c.createStatement(resultSetType, resultSetConcurrency, resultSetHoldability);
      default:
        throw new IllegalStateException("createStatement has no overload " + overload);
    }
  }

  /**
   * Creates the physical statement on {@code p} now, or, if {@code p} is null, defers its creation
   * to the first execution.
   */
  final void attach(RoutingConnection.Physical p) throws SQLException {
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
  final Statement real() throws SQLException {
    checkOpen();
    if (real == null) {
      materialize();
    }
    return real;
  }

  /**
   * Checks that this statement is open; whether a setter must be recorded. While this returns true
   * and {@link #real} is null, the setter is only recorded.
   */
  final boolean recording() throws SQLException {
    checkOpen();
    return recording;
  }

  final void record(Setter setter) {
    if (recorded == null) {
      recorded = new ArrayList<>(4);
    }
    recorded.add(setter);
  }

  /** Routes the deferred statement (or re-routes it), creates it and replays the setters. */
  private void materialize() throws SQLException {
    RoutingConnection.Physical p = owner.physicalForRead(queryTimeout);
    Statement s = create(p.connection);
    if (recorded != null) {
      try {
        for (Setter setter : recorded) {
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
  final boolean beforeExecute(boolean query) throws SQLException {
    real();
    boolean retryable = recording && owner.isRetryableRead(physical);
    owner.beforeExecute(physical, query);
    return retryable;
  }

  /**
   * An execution failed with {@code e}: rethrows it unless it may be re-routed; otherwise ejects
   * the replica and re-creates the statement elsewhere, so the caller can repeat the call once.
   */
  final void reroute(SQLException e, boolean retryable, boolean query) throws SQLException {
    if (!retryable || !isConnectionError(e)) {
      throw e;
    }
    owner.replicaBroken(physical, e);
    real = null;
    physical = null;
    materialize();
    owner.beforeExecute(physical, query);
  }

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
    if (recording) {
      record(s -> s.setQueryTimeout(seconds));
      if (real == null) {
        return;
      }
    }
    real.setQueryTimeout(seconds);
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    return real().unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || real().isWrapperFor(iface);
  }

  @Override
  public String toString() {
    return "RoutedStatement[" + (real != null ? real : "not yet routed") + "]";
  }

  // ------------------------------------------------- delegated; executions re-route

  @Override
  public ResultSet executeQuery(String sql) throws SQLException {
    boolean retryable = beforeExecute(true);
    ResultSet rs;
    try {
      rs = real.executeQuery(sql);
    } catch (SQLException e) {
      reroute(e, retryable, true);
      rs = real.executeQuery(sql);
    }
    owner.afterExecute(physical, true);
    return wrap(rs);
  }

  @Override
  public int executeUpdate(String sql) throws SQLException {
    boolean retryable = beforeExecute(false);
    int result;
    try {
      result = real.executeUpdate(sql);
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.executeUpdate(sql);
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public int getMaxFieldSize() throws SQLException {
    return real().getMaxFieldSize();
  }

  @Override
  public void setMaxFieldSize(int max) throws SQLException {
    if (recording()) {
      record(s -> s.setMaxFieldSize(max));
      if (real == null) {
        return;
      }
    }
    real.setMaxFieldSize(max);
  }

  @Override
  public int getMaxRows() throws SQLException {
    return real().getMaxRows();
  }

  @Override
  public void setMaxRows(int max) throws SQLException {
    if (recording()) {
      record(s -> s.setMaxRows(max));
      if (real == null) {
        return;
      }
    }
    real.setMaxRows(max);
  }

  @Override
  public void setEscapeProcessing(boolean enable) throws SQLException {
    if (recording()) {
      record(s -> s.setEscapeProcessing(enable));
      if (real == null) {
        return;
      }
    }
    real.setEscapeProcessing(enable);
  }

  @Override
  public void cancel() throws SQLException {
    real().cancel();
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    return real().getWarnings();
  }

  @Override
  public void clearWarnings() throws SQLException {
    if (recording()) {
      record(s -> s.clearWarnings());
      if (real == null) {
        return;
      }
    }
    real.clearWarnings();
  }

  @Override
  public void setCursorName(String name) throws SQLException {
    if (recording()) {
      record(s -> s.setCursorName(name));
      if (real == null) {
        return;
      }
    }
    real.setCursorName(name);
  }

  @Override
  public boolean execute(String sql) throws SQLException {
    boolean retryable = beforeExecute(false);
    boolean result;
    try {
      result = real.execute(sql);
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.execute(sql);
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public ResultSet getResultSet() throws SQLException {
    return wrap(real().getResultSet());
  }

  @Override
  public int getUpdateCount() throws SQLException {
    return real().getUpdateCount();
  }

  @Override
  public boolean getMoreResults() throws SQLException {
    return real().getMoreResults();
  }

  @Override
  public void setFetchDirection(int direction) throws SQLException {
    if (recording()) {
      record(s -> s.setFetchDirection(direction));
      if (real == null) {
        return;
      }
    }
    real.setFetchDirection(direction);
  }

  @Override
  public int getFetchDirection() throws SQLException {
    return real().getFetchDirection();
  }

  @Override
  public void setFetchSize(int rows) throws SQLException {
    if (recording()) {
      record(s -> s.setFetchSize(rows));
      if (real == null) {
        return;
      }
    }
    real.setFetchSize(rows);
  }

  @Override
  public int getFetchSize() throws SQLException {
    return real().getFetchSize();
  }

  @Override
  public int getResultSetConcurrency() throws SQLException {
    return real().getResultSetConcurrency();
  }

  @Override
  public int getResultSetType() throws SQLException {
    return real().getResultSetType();
  }

  @Override
  public void addBatch(String sql) throws SQLException {
    if (recording()) {
      record(s -> s.addBatch(sql));
      if (real == null) {
        return;
      }
    }
    real.addBatch(sql);
  }

  @Override
  public void clearBatch() throws SQLException {
    if (recording()) {
      record(s -> s.clearBatch());
      if (real == null) {
        return;
      }
    }
    real.clearBatch();
  }

  @Override
  public int[] executeBatch() throws SQLException {
    boolean retryable = beforeExecute(false);
    int[] result;
    try {
      result = real.executeBatch();
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.executeBatch();
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public boolean getMoreResults(int current) throws SQLException {
    return real().getMoreResults(current);
  }

  @Override
  public ResultSet getGeneratedKeys() throws SQLException {
    return wrap(real().getGeneratedKeys());
  }

  @Override
  public int executeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
    boolean retryable = beforeExecute(false);
    int result;
    try {
      result = real.executeUpdate(sql, autoGeneratedKeys);
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.executeUpdate(sql, autoGeneratedKeys);
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public int executeUpdate(String sql, int[] columnIndexes) throws SQLException {
    boolean retryable = beforeExecute(false);
    int result;
    try {
      result = real.executeUpdate(sql, columnIndexes);
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.executeUpdate(sql, columnIndexes);
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public int executeUpdate(String sql, String[] columnNames) throws SQLException {
    boolean retryable = beforeExecute(false);
    int result;
    try {
      result = real.executeUpdate(sql, columnNames);
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.executeUpdate(sql, columnNames);
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public boolean execute(String sql, int autoGeneratedKeys) throws SQLException {
    boolean retryable = beforeExecute(false);
    boolean result;
    try {
      result = real.execute(sql, autoGeneratedKeys);
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.execute(sql, autoGeneratedKeys);
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public boolean execute(String sql, int[] columnIndexes) throws SQLException {
    boolean retryable = beforeExecute(false);
    boolean result;
    try {
      result = real.execute(sql, columnIndexes);
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.execute(sql, columnIndexes);
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public boolean execute(String sql, String[] columnNames) throws SQLException {
    boolean retryable = beforeExecute(false);
    boolean result;
    try {
      result = real.execute(sql, columnNames);
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.execute(sql, columnNames);
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public int getResultSetHoldability() throws SQLException {
    return real().getResultSetHoldability();
  }

  @Override
  public void setPoolable(boolean poolable) throws SQLException {
    if (recording()) {
      record(s -> s.setPoolable(poolable));
      if (real == null) {
        return;
      }
    }
    real.setPoolable(poolable);
  }

  @Override
  public boolean isPoolable() throws SQLException {
    return real().isPoolable();
  }

  @Override
  public void closeOnCompletion() throws SQLException {
    if (recording()) {
      record(s -> s.closeOnCompletion());
      if (real == null) {
        return;
      }
    }
    real.closeOnCompletion();
  }

  @Override
  public boolean isCloseOnCompletion() throws SQLException {
    return real().isCloseOnCompletion();
  }

  @Override
  public long getLargeUpdateCount() throws SQLException {
    return real().getLargeUpdateCount();
  }

  @Override
  public void setLargeMaxRows(long max) throws SQLException {
    if (recording()) {
      record(s -> s.setLargeMaxRows(max));
      if (real == null) {
        return;
      }
    }
    real.setLargeMaxRows(max);
  }

  @Override
  public long getLargeMaxRows() throws SQLException {
    return real().getLargeMaxRows();
  }

  @Override
  public long[] executeLargeBatch() throws SQLException {
    boolean retryable = beforeExecute(false);
    long[] result;
    try {
      result = real.executeLargeBatch();
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.executeLargeBatch();
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public long executeLargeUpdate(String sql) throws SQLException {
    boolean retryable = beforeExecute(false);
    long result;
    try {
      result = real.executeLargeUpdate(sql);
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.executeLargeUpdate(sql);
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public long executeLargeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
    boolean retryable = beforeExecute(false);
    long result;
    try {
      result = real.executeLargeUpdate(sql, autoGeneratedKeys);
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.executeLargeUpdate(sql, autoGeneratedKeys);
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public long executeLargeUpdate(String sql, int[] columnIndexes) throws SQLException {
    boolean retryable = beforeExecute(false);
    long result;
    try {
      result = real.executeLargeUpdate(sql, columnIndexes);
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.executeLargeUpdate(sql, columnIndexes);
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public long executeLargeUpdate(String sql, String[] columnNames) throws SQLException {
    boolean retryable = beforeExecute(false);
    long result;
    try {
      result = real.executeLargeUpdate(sql, columnNames);
    } catch (SQLException e) {
      reroute(e, retryable, false);
      result = real.executeLargeUpdate(sql, columnNames);
    }
    owner.afterExecute(physical, false);
    return result;
  }

  @Override
  public String enquoteLiteral(String val) throws SQLException {
    return real().enquoteLiteral(val);
  }

  @Override
  public String enquoteIdentifier(String identifier, boolean alwaysQuote) throws SQLException {
    return real().enquoteIdentifier(identifier, alwaysQuote);
  }

  @Override
  public boolean isSimpleIdentifier(String identifier) throws SQLException {
    return real().isSimpleIdentifier(identifier);
  }

  @Override
  public String enquoteNCharLiteral(String val) throws SQLException {
    return real().enquoteNCharLiteral(val);
  }
}
