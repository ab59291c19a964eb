package io.github.reliability4j.jdbc.routing;

import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;

/**
 * A {@link CallableStatement} of a {@link RoutingConnection}; see {@link RoutedStatement}. An OUT
 * parameter that is a result set (a cursor) is wrapped too, so its getStatement() is this
 * statement.
 */
final class RoutedCallableStatement extends DelegatingCallableStatement {

  RoutedCallableStatement(
      RoutingConnection owner,
      String sql,
      Overload overload,
      int resultSetType,
      int resultSetConcurrency,
      int resultSetHoldability) {
    super(owner, sql, overload, resultSetType, resultSetConcurrency, resultSetHoldability);
  }

  @Override
  CallableStatement create(Connection c) throws SQLException {
    switch (overload) {
      case PLAIN:
        return c.prepareCall(sql);
      case TYPE_CONCURRENCY:
        return c.prepareCall(sql, resultSetType, resultSetConcurrency);
      case TYPE_CONCURRENCY_HOLDABILITY:
        return c.prepareCall(sql, resultSetType, resultSetConcurrency, resultSetHoldability);
      default:
        throw new IllegalStateException("prepareCall has no overload " + overload);
    }
  }

  private Object wrapIfResultSet(Object value) {
    return value instanceof ResultSet rs ? wrap(rs) : value;
  }

  private <T> T wrapIfResultSet(T value, Class<T> type) {
    if (value instanceof ResultSet rs) {
      RoutedResultSet wrapped = wrap(rs);
      if (type.isInstance(wrapped)) {
        return type.cast(wrapped);
      }
    }
    return value;
  }

  // ---------------------------------------------------------------- intercepted

  @Override
  public Object getObject(int parameterIndex) throws SQLException {
    return wrapIfResultSet(delegate().getObject(parameterIndex));
  }

  @Override
  public Object getObject(int parameterIndex, Map<String, Class<?>> map) throws SQLException {
    return wrapIfResultSet(delegate().getObject(parameterIndex, map));
  }

  @Override
  public Object getObject(String parameterName) throws SQLException {
    return wrapIfResultSet(delegate().getObject(parameterName));
  }

  @Override
  public Object getObject(String parameterName, Map<String, Class<?>> map) throws SQLException {
    return wrapIfResultSet(delegate().getObject(parameterName, map));
  }

  @Override
  public <T> T getObject(int parameterIndex, Class<T> type) throws SQLException {
    return wrapIfResultSet(delegate().getObject(parameterIndex, type), type);
  }

  @Override
  public <T> T getObject(String parameterName, Class<T> type) throws SQLException {
    return wrapIfResultSet(delegate().getObject(parameterName, type), type);
  }
}
