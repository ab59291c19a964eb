package io.github.reliability4j.jdbc.routing;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URL;
import java.sql.Connection;
import java.sql.Date;
import java.sql.JDBCType;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.SQLWarning;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Calendar;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stub JDBC objects for the proxy unit tests of the delegating classes: every call on a stub is
 * logged with its arguments and the value it returned, a fresh, distinct value per call (a stub of
 * the return type for an interface), so a test can tell that a wrapper passed a call through to the
 * right object with the same arguments and handed back what that object returned.
 */
final class JdbcStubs {

  /** One call on a stub. */
  record Call(Object target, Method method, Object[] args, Object result) {
    boolean sameAs(Method m, Object[] a) {
      return method.getName().equals(m.getName())
          && Arrays.equals(method.getParameterTypes(), m.getParameterTypes())
          && Arrays.deepEquals(args == null ? new Object[0] : args, a == null ? new Object[0] : a);
    }
  }

  final List<Call> calls = new ArrayList<>();
  private final AtomicInteger counter = new AtomicInteger();

  /** A stub of {@code type} whose calls are logged here. */
  <T> T stub(Class<T> type) {
    return type.cast(
        Proxy.newProxyInstance(
            JdbcStubs.class.getClassLoader(),
            new Class<?>[] {type},
            (proxy, m, args) -> {
              switch (m.getName()) {
                case "equals":
                  if (m.getParameterCount() == 1) {
                    return proxy == args[0];
                  }
                  break;
                case "hashCode":
                  if (m.getParameterCount() == 0) {
                    return System.identityHashCode(proxy);
                  }
                  break;
                case "toString":
                  if (m.getParameterCount() == 0) {
                    return "stub " + type.getSimpleName() + "@" + System.identityHashCode(proxy);
                  }
                  break;
                default:
                  break;
              }
              Object result = returnValue(m);
              calls.add(new Call(proxy, m, args, result));
              return result;
            }));
  }

  /** The calls made on {@code target}. */
  List<Call> on(Object target) {
    return calls.stream().filter(c -> c.target() == target).toList();
  }

  private Object returnValue(Method m) {
    Class<?> t = m.getReturnType();
    if (t == void.class) {
      return null;
    }
    if (t == boolean.class) {
      // A stub that says it is closed would end the test at the first check.
      return !m.getName().equals("isClosed");
    }
    if (m.getName().equals("unwrap") || t == Object.class) {
      return "result " + counter.incrementAndGet();
    }
    return sample(t);
  }

  /** A value of {@code t}, distinct from every other one made here (for the types JDBC uses). */
  Object sample(Class<?> t) {
    int n = counter.incrementAndGet();
    if (t == int.class || t == Integer.class) {
      return 100 + n;
    }
    if (t == long.class) {
      return 1_000L + n;
    }
    if (t == short.class) {
      return (short) n;
    }
    if (t == byte.class) {
      return (byte) n;
    }
    if (t == float.class) {
      return n + 0.5f;
    }
    if (t == double.class) {
      return n + 0.25;
    }
    if (t == boolean.class) {
      return n % 2 == 0;
    }
    if (t == String.class) {
      return "s" + n;
    }
    if (t == Object.class) {
      return "o" + n;
    }
    if (t == BigDecimal.class) {
      return BigDecimal.valueOf(n);
    }
    if (t == byte[].class) {
      return new byte[] {(byte) n};
    }
    if (t == int[].class) {
      return new int[] {n};
    }
    if (t == long[].class) {
      return new long[] {n};
    }
    if (t == String[].class) {
      return new String[] {"c" + n};
    }
    if (t == Object[].class) {
      return new Object[] {"e" + n};
    }
    if (t == Class.class) {
      return String.class;
    }
    if (t == Map.class) {
      return Map.of("k" + n, String.class);
    }
    if (t == Date.class) {
      return new Date(n);
    }
    if (t == Time.class) {
      return new Time(n);
    }
    if (t == Timestamp.class) {
      return new Timestamp(n);
    }
    if (t == Calendar.class) {
      Calendar c = Calendar.getInstance();
      c.setTimeInMillis(n);
      return c;
    }
    if (t == InputStream.class) {
      return new ByteArrayInputStream(new byte[] {(byte) n});
    }
    if (t == Reader.class) {
      return new StringReader("r" + n);
    }
    if (t == URL.class) {
      try {
        return URI.create("http://example.invalid/" + n).toURL();
      } catch (java.net.MalformedURLException e) {
        throw new AssertionError(e);
      }
    }
    if (t == Properties.class) {
      Properties p = new Properties();
      p.setProperty("p", "v" + n);
      return p;
    }
    if (t == SQLWarning.class) {
      return new SQLWarning("w" + n);
    }
    if (t == SQLType.class) {
      return JDBCType.values()[n % JDBCType.values().length];
    }
    if (t.isInterface()) {
      return stub(t);
    }
    throw new AssertionError("no sample value for " + t);
  }

  /** Arguments for {@code m}, each distinct. */
  Object[] args(Method m) {
    return Arrays.stream(m.getParameterTypes()).map(this::sample).toArray();
  }

  /**
   * The methods of {@code iface} a wrapper of class {@code wrapper} answers itself: every abstract
   * one, and the default ones it overrides.
   */
  static List<Method> methods(Class<?> iface, Class<?> wrapper) {
    return Arrays.stream(iface.getMethods())
        .filter(m -> !Modifier.isStatic(m.getModifiers()))
        .filter(m -> !m.isDefault() || implementation(wrapper, m).getDeclaringClass() != iface)
        .toList();
  }

  static Method implementation(Class<?> wrapper, Method m) {
    try {
      return wrapper.getMethod(m.getName(), m.getParameterTypes());
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e);
    }
  }

  /** A data source whose connections are stubs logged in {@code stubs}. */
  static final class StubDataSource extends TestDataSource {
    final JdbcStubs stubs;
    final List<Connection> handedOut = new ArrayList<>();

    StubDataSource(JdbcStubs stubs) {
      this.stubs = stubs;
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection c = stubs.stub(Connection.class);
      handedOut.add(c);
      return c;
    }
  }
}
