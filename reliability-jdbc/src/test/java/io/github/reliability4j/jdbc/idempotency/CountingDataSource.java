package io.github.reliability4j.jdbc.idempotency;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Counts database round trips made through a {@link DataSource}: statement executions and explicit
 * commits/rollbacks. A test-only stub around a real DataSource.
 */
final class CountingDataSource {

  final AtomicInteger roundTrips = new AtomicInteger();
  final DataSource dataSource;

  CountingDataSource(DataSource target) {
    this.dataSource =
        (DataSource)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                  Object result = invoke(target, method, args);
                  if (method.getName().equals("getConnection")) {
                    return wrapConnection((Connection) result);
                  }
                  return result;
                });
  }

  int reset() {
    return roundTrips.getAndSet(0);
  }

  private Connection wrapConnection(Connection c) {
    return (Connection)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
              String name = method.getName();
              if (name.equals("commit") || name.equals("rollback")) {
                roundTrips.incrementAndGet();
              }
              Object result = invoke(c, method, args);
              if (result instanceof PreparedStatement ps) {
                return wrapStatement(ps, PreparedStatement.class);
              }
              if (result instanceof Statement st) {
                return wrapStatement(st, Statement.class);
              }
              return result;
            });
  }

  private Object wrapStatement(Statement st, Class<?> type) {
    InvocationHandler h =
        (proxy, method, args) -> {
          if (method.getName().startsWith("execute")) {
            roundTrips.incrementAndGet();
          }
          return invoke(st, method, args);
        };
    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, h);
  }

  private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args)
      throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
