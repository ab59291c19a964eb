package io.github.reliability4j.benchmarks.support;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * Counts database round trips made through the connections of a wrapped {@link DataSource}.
 *
 * <p>Wrap the physical DataSource <em>under</em> the pool, so that everything that reaches the wire
 * is seen, including what the pool itself sends when a connection is borrowed or returned.
 *
 * <p>The count follows PgJDBC's wire behaviour (checked against its source, not measured on the
 * wire):
 *
 * <ul>
 *   <li>each {@code execute*} / {@code executeBatch} of a statement is one round trip (PgJDBC sends
 *       Parse/Bind/Execute/Sync together, and a pending {@code BEGIN} rides along with the first
 *       statement of a transaction);
 *   <li>{@code commit()} / {@code rollback()} and {@code setAutoCommit(true)} are one round trip
 *       only when a statement ran since the transaction began (PgJDBC skips them on an idle
 *       connection);
 *   <li>{@code isValid()} and {@code setTransactionIsolation()} are one round trip each;
 *   <li>{@code setAutoCommit(false)}, {@code setReadOnly()}, {@code getMetaData()} and {@code
 *       getAutoCommit()} are local.
 * </ul>
 *
 * Thread-safe: the counter is shared by all connections; each connection tracks its own transaction
 * state, as a JDBC connection is used by one thread at a time.
 */
public final class RoundTripCounter {

  private static final Set<String> EXECUTE =
      Set.of(
          "execute",
          "executeQuery",
          "executeUpdate",
          "executeLargeUpdate",
          "executeBatch",
          "executeLargeBatch");

  private final LongAdder roundTrips = new LongAdder();

  /** Round trips counted since creation or the last {@link #reset()}. */
  public long get() {
    return roundTrips.sum();
  }

  public void reset() {
    roundTrips.reset();
  }

  /** A DataSource whose connections count their round trips into this counter. */
  public DataSource wrap(DataSource target) {
    return proxy(
        DataSource.class,
        (p, m, args) -> {
          Object result = invoke(target, m, args);
          if (result instanceof Connection && m.getName().equals("getConnection")) {
            return new ConnectionHandler((Connection) result).proxy;
          }
          return result;
        });
  }

  private final class ConnectionHandler implements InvocationHandler {
    final Connection target;
    final Connection proxy;
    boolean autoCommit = true;
    boolean transactionDirty;

    ConnectionHandler(Connection target) {
      this.target = target;
      this.proxy = proxy(Connection.class, this);
    }

    @Override
    public Object invoke(Object p, Method m, Object[] args) throws Throwable {
      switch (m.getName()) {
        case "commit":
        case "rollback":
          if (transactionDirty) {
            roundTrips.increment();
            transactionDirty = false;
          }
          return RoundTripCounter.invoke(target, m, args);
        case "setAutoCommit":
          boolean on = (Boolean) args[0];
          if (on && !autoCommit && transactionDirty) {
            roundTrips.increment();
            transactionDirty = false;
          }
          autoCommit = on;
          return RoundTripCounter.invoke(target, m, args);
        case "isValid":
        case "setTransactionIsolation":
          roundTrips.increment();
          return RoundTripCounter.invoke(target, m, args);
        case "unwrap":
          if (((Class<?>) args[0]).isInstance(proxy)) {
            return proxy;
          }
          return RoundTripCounter.invoke(target, m, args);
        case "isWrapperFor":
          return ((Class<?>) args[0]).isInstance(proxy)
              || (Boolean) RoundTripCounter.invoke(target, m, args);
        default:
          Object result = RoundTripCounter.invoke(target, m, args);
          if (result instanceof Statement) {
            return wrapStatement((Statement) result);
          }
          return result;
      }
    }

    private Object wrapStatement(Statement statement) {
      Class<? extends Statement> type =
          statement instanceof CallableStatement
              ? CallableStatement.class
              : statement instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
      return proxy(
          type,
          (sp, m, args) -> {
            if (EXECUTE.contains(m.getName())) {
              roundTrips.increment();
              if (!autoCommit) {
                transactionDirty = true;
              }
            } else if (m.getName().equals("getConnection")) {
              return proxy;
            }
            return RoundTripCounter.invoke(statement, m, args);
          });
    }
  }

  private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> T proxy(Class<T> type, InvocationHandler handler) {
    return (T)
        Proxy.newProxyInstance(
            RoundTripCounter.class.getClassLoader(), new Class<?>[] {type}, handler);
  }
}
