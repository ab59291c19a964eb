package io.github.reliability4j.jdbc.routing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;

/*
 * Written once, never edited: the pass-through of java.sql.Statement, generated from the interface
 * and kept apart from the routing (RoutedStatement) so that a reader of the Routed* classes sees
 * only what they change. Interception goes through four hooks instead of 50 overrides:
 * - delegate(): the target of every call that only reads or acts on the statement;
 * - set(...): every call that changes the statement's state (setters, clear*, addBatch,
 *   closeOnCompletion), so a subclass can record it and replay it on a re-created statement;
 * - execute(query, ...): every execution (query = executeQuery), so a subclass can route and
 *   re-route it and drive its transaction bookkeeping;
 * - wrap(...): every ResultSet handed out (executeQuery, getResultSet, getGeneratedKeys).
 * The statement classes form one chain, because a routed prepared statement must be both a
 * RoutedStatement and a PreparedStatement: DelegatingStatement <- RoutedStatement <-
 * DelegatingPreparedStatement <- RoutedPreparedStatement <- DelegatingCallableStatement <-
 * RoutedCallableStatement. The Delegating* classes call nothing but these hooks.
 *
 * Why no java.lang.reflect.Proxy or generic invoker: every read goes through these classes, and a
 * dynamic proxy costs a reflective call, a boxed argument array and a recorded Object[] per call.
 * A hook's lambda is inlined with the hook and does not escape unless it is recorded
 * (benchmarks/RESULTS.md, routing overhead). DelegatingStatementTest checks with reflection that
 * every method of the interface reaches its target with the same arguments and the right hook.
 */
/**
 * Forwards every {@link Statement} method to {@link #delegate()} through the hooks above.
 *
 * @param <S> the type of the wrapped statement
 */
abstract class DelegatingStatement<S extends Statement> implements Statement {

  /** A call on the wrapped statement that changes its state. */
  @FunctionalInterface
  interface Setter<S> {
    void apply(S statement) throws SQLException;
  }

  /** A call on the wrapped statement that returns a value. */
  @FunctionalInterface
  interface Call<S, T> {
    T apply(S statement) throws SQLException;
  }

  /** The statement that answers a call; throws if this statement is closed. */
  abstract S delegate() throws SQLException;

  /** Applies a call that changes the statement's state. */
  abstract void set(Setter<? super S> setter) throws SQLException;

  /** Runs an execution; {@code query} is true for executeQuery. */
  abstract <T> T execute(boolean query, Call<? super S, T> execution) throws SQLException;

  /** Every result set handed out passes through here; null stays null. */
  abstract ResultSet wrap(ResultSet rs);

  @Override
  public Connection getConnection() throws SQLException {
    return delegate().getConnection();
  }

  @Override
  public void close() throws SQLException {
    delegate().close();
  }

  @Override
  public boolean isClosed() throws SQLException {
    return delegate().isClosed();
  }

  @Override
  public int getQueryTimeout() throws SQLException {
    return delegate().getQueryTimeout();
  }

  @Override
  public void setQueryTimeout(int seconds) throws SQLException {
    set(s -> s.setQueryTimeout(seconds));
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return delegate().unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return delegate().isWrapperFor(iface);
  }

  @Override
  public ResultSet executeQuery(String sql) throws SQLException {
    return wrap(execute(true, s -> s.executeQuery(sql)));
  }

  @Override
  public int executeUpdate(String sql) throws SQLException {
    return execute(false, s -> s.executeUpdate(sql));
  }

  @Override
  public int getMaxFieldSize() throws SQLException {
    return delegate().getMaxFieldSize();
  }

  @Override
  public void setMaxFieldSize(int max) throws SQLException {
    set(s -> s.setMaxFieldSize(max));
  }

  @Override
  public int getMaxRows() throws SQLException {
    return delegate().getMaxRows();
  }

  @Override
  public void setMaxRows(int max) throws SQLException {
    set(s -> s.setMaxRows(max));
  }

  @Override
  public void setEscapeProcessing(boolean enable) throws SQLException {
    set(s -> s.setEscapeProcessing(enable));
  }

  @Override
  public void cancel() throws SQLException {
    delegate().cancel();
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    return delegate().getWarnings();
  }

  @Override
  public void clearWarnings() throws SQLException {
    set(s -> s.clearWarnings());
  }

  @Override
  public void setCursorName(String name) throws SQLException {
    set(s -> s.setCursorName(name));
  }

  @Override
  public boolean execute(String sql) throws SQLException {
    return execute(false, s -> s.execute(sql));
  }

  @Override
  public ResultSet getResultSet() throws SQLException {
    return wrap(delegate().getResultSet());
  }

  @Override
  public int getUpdateCount() throws SQLException {
    return delegate().getUpdateCount();
  }

  @Override
  public boolean getMoreResults() throws SQLException {
    return delegate().getMoreResults();
  }

  @Override
  public void setFetchDirection(int direction) throws SQLException {
    set(s -> s.setFetchDirection(direction));
  }

  @Override
  public int getFetchDirection() throws SQLException {
    return delegate().getFetchDirection();
  }

  @Override
  public void setFetchSize(int rows) throws SQLException {
    set(s -> s.setFetchSize(rows));
  }

  @Override
  public int getFetchSize() throws SQLException {
    return delegate().getFetchSize();
  }

  @Override
  public int getResultSetConcurrency() throws SQLException {
    return delegate().getResultSetConcurrency();
  }

  @Override
  public int getResultSetType() throws SQLException {
    return delegate().getResultSetType();
  }

  @Override
  public void addBatch(String sql) throws SQLException {
    set(s -> s.addBatch(sql));
  }

  @Override
  public void clearBatch() throws SQLException {
    set(s -> s.clearBatch());
  }

  @Override
  public int[] executeBatch() throws SQLException {
    return execute(false, s -> s.executeBatch());
  }

  @Override
  public boolean getMoreResults(int current) throws SQLException {
    return delegate().getMoreResults(current);
  }

  @Override
  public ResultSet getGeneratedKeys() throws SQLException {
    return wrap(delegate().getGeneratedKeys());
  }

  @Override
  public int executeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
    return execute(false, s -> s.executeUpdate(sql, autoGeneratedKeys));
  }

  @Override
  public int executeUpdate(String sql, int[] columnIndexes) throws SQLException {
    return execute(false, s -> s.executeUpdate(sql, columnIndexes));
  }

  @Override
  public int executeUpdate(String sql, String[] columnNames) throws SQLException {
    return execute(false, s -> s.executeUpdate(sql, columnNames));
  }

  @Override
  public boolean execute(String sql, int autoGeneratedKeys) throws SQLException {
    return execute(false, s -> s.execute(sql, autoGeneratedKeys));
  }

  @Override
  public boolean execute(String sql, int[] columnIndexes) throws SQLException {
    return execute(false, s -> s.execute(sql, columnIndexes));
  }

  @Override
  public boolean execute(String sql, String[] columnNames) throws SQLException {
    return execute(false, s -> s.execute(sql, columnNames));
  }

  @Override
  public int getResultSetHoldability() throws SQLException {
    return delegate().getResultSetHoldability();
  }

  @Override
  public void setPoolable(boolean poolable) throws SQLException {
    set(s -> s.setPoolable(poolable));
  }

  @Override
  public boolean isPoolable() throws SQLException {
    return delegate().isPoolable();
  }

  @Override
  public void closeOnCompletion() throws SQLException {
    set(s -> s.closeOnCompletion());
  }

  @Override
  public boolean isCloseOnCompletion() throws SQLException {
    return delegate().isCloseOnCompletion();
  }

  @Override
  public long getLargeUpdateCount() throws SQLException {
    return delegate().getLargeUpdateCount();
  }

  @Override
  public void setLargeMaxRows(long max) throws SQLException {
    set(s -> s.setLargeMaxRows(max));
  }

  @Override
  public long getLargeMaxRows() throws SQLException {
    return delegate().getLargeMaxRows();
  }

  @Override
  public long[] executeLargeBatch() throws SQLException {
    return execute(false, s -> s.executeLargeBatch());
  }

  @Override
  public long executeLargeUpdate(String sql) throws SQLException {
    return execute(false, s -> s.executeLargeUpdate(sql));
  }

  @Override
  public long executeLargeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
    return execute(false, s -> s.executeLargeUpdate(sql, autoGeneratedKeys));
  }

  @Override
  public long executeLargeUpdate(String sql, int[] columnIndexes) throws SQLException {
    return execute(false, s -> s.executeLargeUpdate(sql, columnIndexes));
  }

  @Override
  public long executeLargeUpdate(String sql, String[] columnNames) throws SQLException {
    return execute(false, s -> s.executeLargeUpdate(sql, columnNames));
  }

  @Override
  public String enquoteLiteral(String val) throws SQLException {
    return delegate().enquoteLiteral(val);
  }

  @Override
  public String enquoteIdentifier(String identifier, boolean alwaysQuote) throws SQLException {
    return delegate().enquoteIdentifier(identifier, alwaysQuote);
  }

  @Override
  public boolean isSimpleIdentifier(String identifier) throws SQLException {
    return delegate().isSimpleIdentifier(identifier);
  }

  @Override
  public String enquoteNCharLiteral(String val) throws SQLException {
    return delegate().enquoteNCharLiteral(val);
  }
}
