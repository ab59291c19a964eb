package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.routing.RoutingPolicy;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The written-once pass-through classes ({@link DelegatingConnection}, {@link DelegatingStatement},
 * {@link DelegatingPreparedStatement}, {@link DelegatingCallableStatement}, {@link
 * DelegatingResultSet}) and what the routed classes intercept, by reflection over every method of
 * the JDBC interfaces against logging stubs: a call reaches the wrapped object once, with the same
 * arguments, and its result comes back (a result set wrapped); a state-changing call on a deferred
 * statement is only recorded and is replayed, in order and with the same arguments, on the
 * statement created at the first execution.
 */
class DelegationTest {

  /** The calls that change a statement's state: recorded while deferred or on a replica. */
  private static final Pattern SETTER =
      Pattern.compile("(set|clear|add|register|closeOnCompletion).*");

  private static final List<Class<?>> TYPES =
      List.of(Statement.class, PreparedStatement.class, CallableStatement.class);

  private static final Set<String> STATEMENT_INTERCEPTED =
      Set.of("getConnection", "close", "isClosed");

  final JdbcStubs stubs = new JdbcStubs();
  final RoutingConnectionTest.MutableClock clock = new RoutingConnectionTest.MutableClock();
  JdbcStubs.StubDataSource primary;
  JdbcStubs.StubDataSource replica;
  ReplicaRoutingDataSource ds;

  @BeforeEach
  void setUp() {
    primary = new JdbcStubs.StubDataSource(stubs);
    replica = new JdbcStubs.StubDataSource(stubs);
    ds =
        new ReplicaRoutingDataSource(
            RoutingConfig.custom()
                .primary("primary", primary)
                .replica("r1", replica)
                .dialect(TimeWindowReplicationDialect.of(Duration.ofSeconds(2), clock, "stub"))
                .policy(RoutingPolicy.custom().maxCausalWait(Duration.ZERO).build())
                .clock(clock)
                .monitor(false)
                .build());
    clock.now = clock.now.plusSeconds(2);
    ds.sampleNow();
    primary.handedOut.clear();
    replica.handedOut.clear();
    stubs.calls.clear();
  }

  @AfterEach
  void tearDown() {
    ds.close();
  }

  private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /**
   * Calls {@code m} on {@code wrapper} and asserts that {@code target} received exactly that call
   * (and nothing else), and that its result came back, or wrapped as {@code wrapped} says.
   */
  private void assertPassedThrough(
      Object wrapper, Object target, Method m, Function<Object, Object> unwrapResult)
      throws Throwable {
    Object[] args = stubs.args(m);
    stubs.calls.clear();
    Object result = invoke(m, wrapper, args);
    List<JdbcStubs.Call> received = stubs.on(target);
    assertThat(received).as("calls on the wrapped object for %s", m).hasSize(1);
    JdbcStubs.Call call = received.get(0);
    assertThat(call.sameAs(m, args)).as("%s passed through with its arguments", m).isTrue();
    if (m.getReturnType() != void.class) {
      Object expected = call.result();
      assertThat(unwrapResult.apply(result)).as("result of %s", m).isEqualTo(expected);
    }
  }

  // ---------------------------------------------------------------- the written-once bases

  @Test
  void delegatingResultSetPassesEveryMethodThrough() throws Throwable {
    ResultSet target = stubs.stub(ResultSet.class);
    DelegatingResultSet wrapper = new DelegatingResultSet(target) {};
    List<Method> methods = JdbcStubs.methods(ResultSet.class, wrapper.getClass());
    assertThat(methods).hasSizeGreaterThan(180);
    for (Method m : methods) {
      assertPassedThrough(wrapper, target, m, r -> r);
    }
  }

  @Test
  void delegatingConnectionPassesEveryMethodThrough() throws Throwable {
    Connection target = stubs.stub(Connection.class);
    DelegatingConnection wrapper =
        new DelegatingConnection() {
          @Override
          Connection delegate() {
            return target;
          }
        };
    List<Method> methods = JdbcStubs.methods(Connection.class, wrapper.getClass());
    assertThat(methods).hasSizeGreaterThan(50);
    for (Method m : methods) {
      assertPassedThrough(wrapper, target, m, r -> r);
    }
  }

  /** A DelegatingStatement whose hooks only log which hook each method used. */
  static final class HookLog extends DelegatingStatement<Statement> {
    final Statement target;
    final List<String> hooks = new ArrayList<>();

    HookLog(Statement target) {
      this.target = target;
    }

    @Override
    Statement delegate() {
      hooks.add("delegate");
      return target;
    }

    @Override
    void set(Setter<? super Statement> setter) throws SQLException {
      hooks.add("set");
      setter.apply(target);
    }

    @Override
    <T> T execute(boolean query, Call<? super Statement, T> execution) throws SQLException {
      hooks.add(query ? "executeQuery" : "execute");
      return execution.apply(target);
    }

    @Override
    ResultSet wrap(ResultSet rs) {
      hooks.add("wrap");
      return rs;
    }
  }

  @Test
  void delegatingStatementPassesEveryMethodThroughTheHookOfItsKind() throws Throwable {
    Statement target = stubs.stub(Statement.class);
    HookLog wrapper = new HookLog(target);
    List<Method> methods = JdbcStubs.methods(Statement.class, wrapper.getClass());
    assertThat(methods).hasSizeGreaterThan(50);
    for (Method m : methods) {
      wrapper.hooks.clear();
      assertPassedThrough(wrapper, target, m, r -> r);
      List<String> expected;
      if (m.getName().equals("executeQuery")) {
        expected = List.of("executeQuery", "wrap");
      } else if (m.getName().startsWith("execute")) {
        expected = List.of("execute");
      } else if (SETTER.matcher(m.getName()).matches()) {
        expected = List.of("set");
      } else if (m.getReturnType() == ResultSet.class) {
        expected = List.of("delegate", "wrap");
      } else {
        expected = List.of("delegate");
      }
      assertThat(wrapper.hooks).as("hooks used by %s", m).isEqualTo(expected);
    }
  }

  // ---------------------------------------------------------------- what the routed classes add

  @Test
  void routedClassesDeclareOnlyWhatTheyIntercept() {
    assertThat(declared(RoutedResultSet.class)).containsExactly("getStatement");
    assertThat(declared(RoutedPreparedStatement.class)).isEmpty();
    assertThat(declared(RoutedCallableStatement.class))
        .containsExactly(
            "getObject", "getObject", "getObject", "getObject", "getObject", "getObject");
    assertThat(declared(RoutedStatement.class))
        .containsExactly(
            "close",
            "getConnection",
            "getQueryTimeout",
            "isClosed",
            "isWrapperFor",
            "setQueryTimeout",
            "toString",
            "unwrap");
  }

  /** The public methods {@code type} declares itself, sorted by name. */
  private static List<String> declared(Class<?> type) {
    return Arrays.stream(type.getDeclaredMethods())
        .filter(m -> java.lang.reflect.Modifier.isPublic(m.getModifiers()))
        .filter(m -> !m.isBridge() && !m.isSynthetic())
        .map(Method::getName)
        .sorted()
        .toList();
  }

  @Test
  void routingConnectionLeavesToItsBaseOnlyCallsThatReachTheRoutedPhysicalConnection()
      throws Throwable {
    try (Connection c = ds.getConnection()) {
      Set<String> leftToBase = new TreeSet<>();
      for (Method m : JdbcStubs.methods(Connection.class, c.getClass())) {
        if (JdbcStubs.implementation(c.getClass(), m).getDeclaringClass()
            != DelegatingConnection.class) {
          continue;
        }
        leftToBase.add(m.getName());
        Object[] args = stubs.args(m);
        stubs.calls.clear();
        invoke(m, c, args);
        Connection physical = primary.handedOut.get(0);
        assertThat(primary.handedOut).as("one primary connection, write intent").hasSize(1);
        JdbcStubs.Call last = stubs.on(physical).get(stubs.on(physical).size() - 1);
        assertThat(last.sameAs(m, args)).as("%s reached the primary", m).isTrue();
      }
      assertThat(leftToBase)
          .containsExactlyInAnyOrder(
              "nativeSQL",
              "createClob",
              "createBlob",
              "createNClob",
              "createSQLXML",
              "createArrayOf",
              "createStruct",
              "setClientInfo",
              "getClientInfo",
              "setNetworkTimeout",
              "getNetworkTimeout");
    }
  }

  /** A statement of each type, created on {@code c}. */
  private static List<Statement> statementsOf(Connection c) throws SQLException {
    return List.of(c.createStatement(), c.prepareStatement("q"), c.prepareCall("call"));
  }

  private static Class<?> jdbcType(Statement s) {
    return s instanceof CallableStatement
        ? CallableStatement.class
        : s instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
  }

  @Test
  void routedStatementsOnThePrimaryPassEveryOtherCallThroughAndWrapTheirResultSets()
      throws Throwable {
    try (Connection c = ds.getConnection()) {
      for (Statement s : statementsOf(c)) {
        RoutedStatement<?> routed = (RoutedStatement<?>) s;
        Statement physical = routed.real;
        assertThat(physical).as("created at once on the primary").isNotNull();
        int count = 0;
        for (Method m : JdbcStubs.methods(jdbcType(s), s.getClass())) {
          if (STATEMENT_INTERCEPTED.contains(m.getName())) {
            continue;
          }
          count++;
          assertPassedThrough(
              s,
              physical,
              m,
              r -> {
                if (m.getReturnType() == ResultSet.class) {
                  assertThat(r).isInstanceOf(RoutedResultSet.class);
                  RoutedResultSet rs = (RoutedResultSet) r;
                  assertThat(rs.getStatement()).isSameAs(s);
                  return rs.delegate;
                }
                return r;
              });
        }
        assertThat(count).as("methods checked on %s", jdbcType(s)).isGreaterThan(45);
        assertThat(s.getConnection()).isSameAs(c);
      }
    }
  }

  @Test
  void everyStateChangingCallOfADeferredStatementIsRecordedAndReplayedBeforeItsExecution()
      throws Throwable {
    int checked = 0;
    for (Class<?> type : TYPES) {
      List<Method> setters =
          JdbcStubs.methods(type, classOf(type)).stream()
              .filter(m -> m.getReturnType() == void.class)
              .filter(m -> SETTER.matcher(m.getName()).matches())
              .toList();
      for (Method m : setters) {
        try (Connection c = ds.getConnection()) {
          c.setReadOnly(true);
          Statement s = statementsOf(c).get(TYPES.indexOf(type));
          Object[] args = stubs.args(m);
          invoke(m, s, args);
          assertThat(replica.handedOut).as("%s is only recorded", m).isEmpty();
          assertThat(primary.handedOut).as("%s is only recorded", m).isEmpty();
          stubs.calls.clear();
          if (s instanceof PreparedStatement ps) {
            ps.execute();
          } else {
            s.execute("x");
          }
          Statement physical = ((RoutedStatement<?>) s).real;
          List<JdbcStubs.Call> received = stubs.on(physical);
          assertThat(received).as("replayed %s, then executed", m).hasSize(2);
          assertThat(received.get(0).sameAs(m, args)).as("%s replayed", m).isTrue();
          assertThat(received.get(1).method().getName()).isEqualTo("execute");
          checked++;
        }
        replica.handedOut.clear();
        primary.handedOut.clear();
      }
    }
    assertThat(checked).as("state-changing calls checked").isGreaterThan(120);
  }

  private static Class<?> classOf(Class<?> type) {
    return type == CallableStatement.class
        ? RoutedCallableStatement.class
        : type == PreparedStatement.class ? RoutedPreparedStatement.class : RoutedStatement.class;
  }

  @Test
  void aDeferredStatementRecordsItsSettersInCallOrder() throws Throwable {
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      PreparedStatement ps = c.prepareStatement("q");
      ps.setInt(1, 8);
      ps.clearParameters();
      ps.setInt(1, 7);
      ps.setMaxRows(5);
      ps.executeQuery();
      Statement physical = ((RoutedStatement<?>) ps).real;
      String order =
          stubs.on(physical).stream()
              .map(call -> call.method().getName() + Arrays.toString(call.args()))
              .collect(Collectors.joining(" "));
      assertThat(order)
          .isEqualTo(
              "setInt[1, 8] clearParametersnull setInt[1, 7] setMaxRows[5] executeQuerynull");
    }
  }
}
