package io.github.reliability4j.jdbc.routing;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.DatabaseMetaData;

/**
 * The {@link DatabaseMetaData} of a {@link RoutingConnection}: every call goes to the metadata of
 * the physical connection that answers it at that moment (see {@link
 * RoutingConnection#physicalMetaData()}), so reading metadata never routes the logical connection,
 * and {@code getConnection()} returns the logical connection, not a physical one. Metadata is not a
 * hot path (frameworks read it at start-up), so a dynamic proxy over the ~180 methods is cheaper to
 * maintain than a hand-written wrapper. Result sets it returns belong to the physical connection.
 */
final class RoutedDatabaseMetaData implements InvocationHandler {

  private final RoutingConnection connection;

  private RoutedDatabaseMetaData(RoutingConnection connection) {
    this.connection = connection;
  }

  static DatabaseMetaData of(RoutingConnection connection) {
    return (DatabaseMetaData)
        Proxy.newProxyInstance(
            RoutedDatabaseMetaData.class.getClassLoader(),
            new Class<?>[] {DatabaseMetaData.class},
            new RoutedDatabaseMetaData(connection));
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    switch (method.getName()) {
      case "getConnection":
        if (method.getParameterCount() == 0) {
          connection.checkOpen();
          return connection;
        }
        break;
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
      case "equals":
        return proxy == args[0];
      case "hashCode":
        return System.identityHashCode(proxy);
      case "toString":
        return "RoutedDatabaseMetaData[" + connection + "]";
      default:
        break;
    }
    try {
      return method.invoke(connection.physicalMetaData(), args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
