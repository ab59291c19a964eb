package io.github.reliability4j.jdbc.routing;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/*
 * Why statements are proxied:
 * - getConnection() must return the logical connection, not the physical one;
 * - executions drive the transaction bookkeeping (txActive, position capture);
 * - for a connection that has not chosen its node yet and routes as a read, creation is deferred
 *   until the first execution, so the causal wait can be bounded by the statement's query timeout
 *   (frameworks such as JdbcTemplate call setQueryTimeout after prepareStatement). Until then
 *   setters are recorded and replayed in order on the real statement.
 * - a read on a replica that fails with a connection error (the replica died; the pool handed out
 *   a connection that was alive a moment ago) is re-routed once: the replica is ejected, the
 *   statement re-created elsewhere, its recorded setters replayed and the call repeated. Only
 *   reads that are the first statement of their transaction (or auto-commit) are retried, so no
 *   transaction ever spans two nodes. For this, setters keep being recorded while the statement
 *   lives on a replica.
 */
/** Invocation handler of the Statement / PreparedStatement / CallableStatement proxies. */
final class StatementHandler implements InvocationHandler {

  @FunctionalInterface
  interface Creator {
    Statement create(java.sql.Connection physical) throws SQLException;
  }

  private final RoutingConnection owner;
  private final Creator creator;
  private Statement real;
  private RoutingConnection.Physical physical;
  private List<Object[]> recorded;
  private int queryTimeout;
  private boolean closed;

  private StatementHandler(RoutingConnection owner, Creator creator) {
    this.owner = owner;
    this.creator = creator;
  }

  static <T extends Statement> T create(
      RoutingConnection owner,
      Class<T> type,
      Creator creator,
      RoutingConnection.Physical physicalOrNull)
      throws SQLException {
    StatementHandler h = new StatementHandler(owner, creator);
    if (physicalOrNull != null) {
      h.physical = physicalOrNull;
      h.real = creator.create(physicalOrNull.connection);
      if (physicalOrNull.role == io.github.reliability4j.core.routing.NodeRole.REPLICA) {
        h.recorded = new ArrayList<>();
      }
    } else {
      h.recorded = new ArrayList<>();
    }
    return type.cast(
        Proxy.newProxyInstance(StatementHandler.class.getClassLoader(), new Class<?>[] {type}, h));
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    String name = method.getName();
    switch (name) {
      case "equals":
        return proxy == args[0];
      case "hashCode":
        return System.identityHashCode(proxy);
      case "toString":
        return "RoutedStatement[" + (real != null ? real : "not yet routed") + "]";
      case "getConnection":
        checkOpen();
        return owner;
      case "isClosed":
        return closed || (real != null && real.isClosed());
      case "close":
        if (!closed) {
          closed = true;
          if (real != null) {
            real.close();
          }
        }
        return null;
      case "unwrap":
        if (((Class<?>) args[0]).isInstance(proxy)) {
          return proxy;
        }
        break;
      case "isWrapperFor":
        if (((Class<?>) args[0]).isInstance(proxy)) {
          return true;
        }
        break;
      default:
        break;
    }
    checkOpen();
    if (real != null && recorded != null && isRecordable(method)) {
      recorded.add(new Object[] {method, args});
    }
    if (real == null) {
      if (name.equals("getQueryTimeout")) {
        return queryTimeout;
      }
      if (name.equals("setQueryTimeout")) {
        int t = (Integer) args[0];
        if (t < 0) {
          throw new SQLException("Query timeout must be >= 0, but was " + t, "22023");
        }
        queryTimeout = t;
      }
      if (isRecordable(method)) {
        recorded.add(new Object[] {method, args});
        return null;
      }
      materialize();
    }
    if (name.startsWith("execute")) {
      boolean retryable = recorded != null && owner.isRetryableRead(physical);
      owner.beforeExecute(physical, name);
      Object result;
      try {
        result = call(method, args);
      } catch (SQLException e) {
        if (!retryable || !isConnectionError(e)) {
          throw e;
        }
        owner.replicaBroken(physical, e);
        real = null;
        physical = null;
        materialize();
        owner.beforeExecute(physical, name);
        result = call(method, args);
      }
      owner.afterExecute(physical, name);
      return wrapResultSet(proxy, result);
    }
    return wrapResultSet(proxy, call(method, args));
  }

  /** ResultSet.getStatement() must return the statement the caller holds, not the physical one. */
  private static Object wrapResultSet(Object statementProxy, Object result) {
    if (!(result instanceof ResultSet rs)) {
      return result;
    }
    return Proxy.newProxyInstance(
        StatementHandler.class.getClassLoader(),
        new Class<?>[] {ResultSet.class},
        (p, m, a) -> {
          if (m.getName().equals("getStatement") && m.getParameterCount() == 0) {
            return statementProxy;
          }
          try {
            return m.invoke(rs, a);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  static boolean isConnectionError(SQLException e) {
    String state = e.getSQLState();
    // 08: connection exceptions; 57P01-57P03: PostgreSQL admin/crash shutdown, cannot connect now.
    return (state != null && (state.startsWith("08") || state.startsWith("57P")))
        || e instanceof java.sql.SQLRecoverableException
        || e instanceof java.sql.SQLNonTransientConnectionException
        || e instanceof java.sql.SQLTransientConnectionException;
  }

  private void materialize() throws Throwable {
    RoutingConnection.Physical p = owner.physicalForRead(queryTimeout);
    Statement s = creator.create(p.connection);
    try {
      for (Object[] call : recorded) {
        ((Method) call[0]).invoke(s, (Object[]) call[1]);
      }
    } catch (InvocationTargetException e) {
      s.close();
      throw e.getCause();
    }
    physical = p;
    real = s;
    if (p.role != io.github.reliability4j.core.routing.NodeRole.REPLICA) {
      recorded = null;
    }
  }

  private Object call(Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(real, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static boolean isRecordable(Method m) {
    if (m.getReturnType() != void.class) {
      return false;
    }
    String n = m.getName();
    return n.startsWith("set")
        || n.startsWith("clear")
        || n.equals("addBatch")
        || n.equals("registerOutParameter")
        || n.equals("closeOnCompletion");
  }

  private void checkOpen() throws SQLException {
    if (closed) {
      throw new SQLException("Statement is closed", "HY010");
    }
    owner.checkOpen();
  }
}
