package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyConflictException;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.IdempotencyStoreTimeoutException;
import io.github.reliability4j.core.idempotency.IdempotencyStoreUnavailableException;
import io.github.reliability4j.core.idempotency.OutagePolicy;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.test.idempotency.MutableClock;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The guarantee "a hung store call cannot block a caller past the engine's store-call timeout" for
 * the JDBC store called on the caller's thread (its bounded view, on a HikariCP pool with short
 * timeouts), against a real server of the test kit on its own port: a row locked by another
 * transaction, and a server stopped with SIGSTOP (TCP still connects, nothing answers). Each call
 * runs on a helper thread and must return before a generous deadline (several times the timeout);
 * what is asserted is its outcome: the engine's outage outcome with the store's timeout as the
 * cause, the circuit breaker opening on those timeouts, and — once the server answers again — every
 * key executed exactly once.
 */
abstract class AbstractStoreCallBoundTest {

  static final Duration TIMEOUT = Duration.ofSeconds(2);

  /** Far longer than any bound involved; only a hang reaches it. */
  static final Duration GENEROUS = TIMEOUT.multipliedBy(6);

  static final RequestFingerprint FP = RequestFingerprint.sha256("order");
  static final Duration LEASE = Duration.ofSeconds(30);

  private final MutableClock clock = MutableClock.create();
  private final ConcurrentHashMap<String, AtomicInteger> runs = new ConcurrentHashMap<>();
  private final ExecutorService callers = Executors.newCachedThreadPool();
  private HikariDataSource pool;
  private String table;
  JdbcIdempotencyStore store;
  private CircuitBreaker breaker;
  private Idempotency engine;

  /** A JDBC URL of the server under test (the kit's instance on its own port). */
  abstract String jdbcUrl();

  /** A non-pooled DataSource of that server, for the locking transaction and the pid lookup. */
  abstract DataSource plain();

  /** The server's main process, looked up through {@code c}; it and everything under it stop. */
  abstract ProcessHandle serverProcess(Connection c) throws SQLException;

  abstract String tablePrefix();

  @BeforeEach
  void setUp() {
    table = TestDatabases.uniqueTable(tablePrefix());
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(jdbcUrl());
    hc.setPoolName("i18c-bound-" + table);
    hc.setMaximumPoolSize(6);
    hc.setMinimumIdle(0);
    hc.setConnectionTimeout(500);
    hc.setValidationTimeout(250);
    pool = new HikariDataSource(hc);
    store =
        JdbcIdempotencyStore.create(
            pool,
            JdbcIdempotencyStoreConfig.custom()
                .tableName(table)
                .clock(clock)
                .initializeSchema(true)
                .build());
    breaker =
        CircuitBreaker.of(
            "i18c-bound",
            CircuitBreakerConfig.custom()
                .slidingWindowSize(2)
                .minimumNumberOfCalls(2)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofMinutes(10))
                .build());
    engine =
        Idempotency.builder(store)
            .storeCallTimeout(TIMEOUT)
            .circuitBreaker(breaker)
            .defaultConfig(
                IdempotencyConfig.custom()
                    .leaseDuration(LEASE)
                    .concurrencyMode(ConcurrencyMode.REJECT)
                    .outagePolicy(OutagePolicy.FAIL_CLOSED)
                    .disableLeaseRenewal()
                    .build())
            .build();
  }

  @AfterEach
  void tearDown() {
    callers.shutdownNow();
    try {
      TestDatabases.dropTable(plain(), table);
    } finally {
      pool.close();
    }
  }

  private IdempotencyKey key(String name) {
    return IdempotencyKey.of("tenant", "pay", name);
  }

  private StoredOutcome action(String name) {
    return StoredOutcome.ok(
        name + "-run-" + runs.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet());
  }

  private int runsOf(String name) {
    AtomicInteger n = runs.get(name);
    return n == null ? 0 : n.get();
  }

  /** Starts {@code engine.execute} for {@code name} on a helper thread. */
  private Future<IdempotencyResult<StoredOutcome>> start(String name) {
    return callers.submit(() -> engine.execute(key(name), FP, () -> action(name)));
  }

  /** What the call ended with: its exception, or null if it returned; fails if it hangs. */
  private static Throwable outcome(Future<?> call) throws InterruptedException {
    try {
      call.get(GENEROUS.toMillis(), TimeUnit.MILLISECONDS);
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      call.cancel(true);
      return fail("the caller was still blocked " + GENEROUS + " after the call started");
    }
  }

  private static void assertTimedOut(Throwable t) {
    assertThat(t)
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .cause()
        .isInstanceOfSatisfying(
            IdempotencyStoreTimeoutException.class,
            e -> assertThat(e.getTimeout()).isEqualTo(TIMEOUT));
  }

  /**
   * Executes {@code name} until it is stored or replayed: a claim cut off by the timeout may still
   * have been applied by the server afterwards, leaving an in-progress row nobody owns; its lease
   * is then let expire (the store's clock is moved past it) and the key taken over.
   */
  private IdempotencyResult<StoredOutcome> executeOnceTheServerAnswers(String name)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Throwable last = null;
    while (System.nanoTime() - deadline < 0) {
      try {
        return engine.execute(key(name), FP, () -> action(name));
      } catch (IdempotencyConflictException e) {
        clock.advance(LEASE);
        last = e;
      } catch (IdempotencyStoreUnavailableException e) {
        // The pool is still replacing the connections the stop broke.
        last = e;
        Thread.sleep(100);
      }
    }
    throw new AssertionError("the store did not recover within 60 s", last);
  }

  @Test
  void theEngineCallsThisStoreOnTheCallersThread() {
    assertThat(engine.storeCallsHandedOff()).isFalse();
    assertThat(store.withCallTimeout(TIMEOUT))
        .hasValueSatisfying(
            v -> assertThat(((JdbcIdempotencyStore) v).getCallTimeout()).contains(TIMEOUT));
    assertThat(store.withCallTimeout(Duration.ofMillis(1500)))
        .as("connectionTimeout 500 ms + a validation of up to 1 s does not fit in 1.5 s")
        .isEmpty();
    assertThat(
            Idempotency.builder(JdbcIdempotencyStore.create(plain(), store.getConfig()))
                .storeCallTimeout(TIMEOUT)
                .build()
                .storeCallsHandedOff())
        .as("a DataSource whose connection wait has no known bound")
        .isTrue();
    IdempotencyResult<StoredOutcome> first =
        engine.execute(key("plain"), FP, () -> action("plain"));
    IdempotencyResult<StoredOutcome> again =
        engine.execute(key("plain"), FP, () -> action("plain"));
    assertThat(first.status()).isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(again.isReplayed()).isTrue();
    assertThat(again.value().bodyAsString()).isEqualTo("plain-run-1");
  }

  @Test
  void aRowLockedByAnotherTransactionCannotHoldTheCallerPastTheTimeout() throws Exception {
    // An expired claim of another owner: the next claim must take the row over, so it waits for
    // the row lock (a live row would be answered without waiting on PostgreSQL).
    store.claim(key("locked"), FP, Duration.ofSeconds(1), Duration.ofHours(1));
    clock.advance(Duration.ofSeconds(2));
    try (Connection locker = plain().getConnection()) {
      locker.setAutoCommit(false);
      try (PreparedStatement ps =
          locker.prepareStatement(
              "SELECT key_hash FROM " + table + " WHERE key_hash = ? FOR UPDATE")) {
        ps.setBytes(1, KeyHash.digest("tenant", "pay", "locked"));
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).as("the row to lock exists").isTrue();
        }
      }
      assertTimedOut(outcome(start("locked")));
      assertTimedOut(outcome(start("locked")));
      assertThat(breaker.getState())
          .as("two timeouts of two calls")
          .isEqualTo(CircuitBreaker.State.OPEN);
      assertThat(outcome(start("locked")))
          .isInstanceOf(IdempotencyStoreUnavailableException.class)
          .hasCauseInstanceOf(CallNotPermittedException.class);
      assertThat(runsOf("locked")).as("FAIL_CLOSED: the action did not run").isZero();
      locker.rollback();
    }
    breaker.transitionToClosedState();
    IdempotencyResult<StoredOutcome> r = executeOnceTheServerAnswers("locked");
    assertThat(r.value().bodyAsString()).isEqualTo("locked-run-1");
    assertThat(engine.execute(key("locked"), FP, () -> action("locked")).isReplayed()).isTrue();
    assertThat(runsOf("locked")).isEqualTo(1);
  }

  @Test
  void aStoppedServerCannotHoldTheCallersPastTheTimeout() throws Exception {
    assertThat(engine.execute(key("before"), FP, () -> action("before")).status())
        .isEqualTo(IdempotencyResult.Status.STORED);
    ProcessHandle server;
    try (Connection c = plain().getConnection()) {
      server = serverProcess(c);
    }
    List<ProcessHandle> stopped = new ArrayList<>();
    // Warm connections in the pool, so the stop meets both a borrowed connection mid-statement and
    // idle ones that need validating.
    List<Future<IdempotencyResult<StoredOutcome>>> warm = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      warm.add(start("warm-" + i));
    }
    for (Future<?> f : warm) {
      assertThat(outcome(f)).isNull();
    }
    List<String> during = List.of("during-0", "during-1", "during-2", "during-3");
    List<Throwable> outcomes = new ArrayList<>();
    try {
      stop(server, stopped);
      List<Future<IdempotencyResult<StoredOutcome>>> calls = new ArrayList<>();
      for (String name : during) {
        calls.add(start(name));
      }
      calls.add(start("before"));
      for (Future<?> f : calls) {
        outcomes.add(outcome(f));
      }
    } finally {
      for (ProcessHandle p : stopped) {
        signal("-CONT", p);
      }
    }
    for (Throwable t : outcomes) {
      assertThat(t)
          .as("every caller gets the outage outcome: the timeout, or the breaker it opened")
          .isInstanceOf(IdempotencyStoreUnavailableException.class);
      assertThat(t.getCause())
          .isInstanceOfAny(IdempotencyStoreTimeoutException.class, CallNotPermittedException.class);
    }
    assertThat(outcomes)
        .filteredOn(t -> t.getCause() instanceof IdempotencyStoreTimeoutException)
        .as("the first calls timed out")
        .isNotEmpty();
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    for (String name : during) {
      assertThat(runsOf(name)).as("FAIL_CLOSED: %s did not run during the stop", name).isZero();
    }

    breaker.transitionToClosedState();
    for (String name : during) {
      assertThat(executeOnceTheServerAnswers(name).value().bodyAsString())
          .isEqualTo(name + "-run-1");
      assertThat(engine.execute(key(name), FP, () -> action(name)).isReplayed()).isTrue();
      assertThat(runsOf(name)).as("%s ran exactly once", name).isEqualTo(1);
    }
    IdempotencyResult<StoredOutcome> replay =
        engine.execute(key("before"), FP, () -> action("before"));
    assertThat(replay.isReplayed()).isTrue();
    assertThat(replay.value().bodyAsString()).isEqualTo("before-run-1");
    assertThat(runsOf("before")).isEqualTo(1);
  }

  /**
   * SIGSTOP to {@code server} first (so it starts nothing new), then to every process under it that
   * is still alive; each one stopped is added to {@code stopped} at once, so the caller's {@code
   * finally} resumes exactly those.
   */
  private static void stop(ProcessHandle server, List<ProcessHandle> stopped) throws Exception {
    if (!signal("-STOP", server)) {
      throw new IllegalStateException("cannot stop the server process " + server.pid());
    }
    stopped.add(server);
    for (ProcessHandle p : server.descendants().toList()) {
      if (signal("-STOP", p)) {
        stopped.add(p);
      }
    }
  }

  /** Sends {@code signal} to {@code p} by its pid; false if it failed (the process is gone). */
  private static boolean signal(String signal, ProcessHandle p) throws Exception {
    Process kill =
        new ProcessBuilder("kill", signal, Long.toString(p.pid()))
            .redirectErrorStream(true)
            .start();
    return kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0;
  }
}
