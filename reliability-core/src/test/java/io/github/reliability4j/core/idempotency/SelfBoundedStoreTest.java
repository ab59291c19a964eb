package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.TestStore.Mode;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A store that bounds its own calls ({@link IdempotencyStore#withCallTimeout}) is called on the
 * caller's thread with the engine's timeout handed to it, through the circuit breaker; its timeout
 * is the engine's timeout outcome; every other store keeps the hand-off to the store executor.
 */
class SelfBoundedStoreTest {

  private static final RequestFingerprint FP = RequestFingerprint.sha256("payload");
  private static final Duration TIMEOUT = Duration.ofMillis(750);

  private final TestClock clock = new TestClock();
  private final TestStore inner = new TestStore(clock);
  private final BoundingStore store = new BoundingStore(inner);
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private final AtomicInteger handedOff = new AtomicInteger();
  private final IdempotencyKey key = IdempotencyKey.of("tenant", "pay", "k");

  @AfterEach
  void stop() {
    inner.unhang();
    executor.shutdownNow();
  }

  private ExecutorService countingExecutor() {
    return new java.util.concurrent.AbstractExecutorService() {
      @Override
      public void execute(Runnable command) {
        handedOff.incrementAndGet();
        executor.execute(command);
      }

      @Override
      public void shutdown() {}

      @Override
      public List<Runnable> shutdownNow() {
        return List.of();
      }

      @Override
      public boolean isShutdown() {
        return false;
      }

      @Override
      public boolean isTerminated() {
        return false;
      }

      @Override
      public boolean awaitTermination(long timeout, java.util.concurrent.TimeUnit unit) {
        return true;
      }
    };
  }

  private Idempotency engine(OutagePolicy policy, CircuitBreaker breaker) {
    return Idempotency.builder(store)
        .storeCallTimeout(TIMEOUT)
        .storeExecutor(countingExecutor())
        .circuitBreaker(breaker)
        .defaultConfig(
            IdempotencyConfig.custom()
                .outagePolicy(policy)
                .leaseDuration(Duration.ofSeconds(30))
                .disableLeaseRenewal()
                .build())
        .build();
  }

  @Test
  void theEngineHandsItsTimeoutToTheStoreAndCallsTheViewOnTheCallersThread() {
    Idempotency idem = engine(OutagePolicy.FAIL_CLOSED, CircuitBreaker.ofDefaults("t"));
    assertThat(store.asked).containsExactly(TIMEOUT);
    assertThat(idem.storeCallsHandedOff()).isFalse();
    assertThat(idem.store()).as("store() is what the builder got").isSameAs(store);

    IdempotencyResult<StoredOutcome> first = idem.execute(key, FP, () -> StoredOutcome.ok("a"));
    IdempotencyResult<StoredOutcome> replay = idem.execute(key, FP, () -> StoredOutcome.ok("b"));
    IdempotentExecution released = idem.begin(IdempotencyKey.of("tenant", "pay", "r"), FP);
    released.release(null);

    assertThat(first.status()).isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(replay.value().bodyAsString()).isEqualTo("a");
    assertThat(store.viewCalls).as("claim, complete, claim, claim, release").hasSize(5);
    assertThat(store.viewCalls).containsOnly(Thread.currentThread());
    assertThat(store.directCalls).as("nothing bypasses the view").hasValue(0);
    assertThat(handedOff).as("nothing is handed to the store executor").hasValue(0);
  }

  @Test
  void theViewsTimeoutIsTheEnginesTimeoutOutcomeUnderEitherOutagePolicy() {
    inner.claimMode = Mode.THROW;
    store.timeOut = true;
    Idempotency closed = engine(OutagePolicy.FAIL_CLOSED, CircuitBreaker.ofDefaults("c"));
    AtomicInteger runs = new AtomicInteger();
    assertThatThrownBy(
            () -> closed.execute(key, FP, () -> StoredOutcome.ok("" + runs.incrementAndGet())))
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .cause()
        .isInstanceOfSatisfying(
            IdempotencyStoreTimeoutException.class,
            e -> assertThat(e.getTimeout()).isEqualTo(TIMEOUT));
    assertThat(runs).hasValue(0);

    Idempotency open = engine(OutagePolicy.FAIL_OPEN, CircuitBreaker.ofDefaults("o"));
    IdempotencyResult<StoredOutcome> r =
        open.execute(key, FP, () -> StoredOutcome.ok("" + runs.incrementAndGet()));
    assertThat(r.status()).isEqualTo(IdempotencyResult.Status.NOT_DEDUPLICATED);
    assertThat(runs).hasValue(1);
    assertThat(handedOff).hasValue(0);
  }

  @Test
  void theCircuitBreakerCountsTheViewsTimeoutsAndThenStopsCallingIt() {
    inner.claimMode = Mode.THROW;
    store.timeOut = true;
    CircuitBreaker breaker =
        CircuitBreaker.of(
            "b",
            CircuitBreakerConfig.custom()
                .slidingWindowSize(4)
                .minimumNumberOfCalls(4)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofMinutes(5))
                .build());
    Idempotency idem = engine(OutagePolicy.FAIL_CLOSED, breaker);
    for (int i = 0; i < 4; i++) {
      assertThatThrownBy(() -> idem.execute(key, FP, () -> StoredOutcome.ok("x")))
          .isInstanceOf(IdempotencyStoreUnavailableException.class)
          .hasCauseInstanceOf(IdempotencyStoreTimeoutException.class);
    }
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    int callsBefore = store.viewCalls.size();
    assertThatThrownBy(() -> idem.execute(key, FP, () -> StoredOutcome.ok("x")))
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .hasCauseInstanceOf(CallNotPermittedException.class);
    assertThat(store.viewCalls).hasSize(callsBefore);
  }

  @Test
  void aStoreWithoutAViewKeepsTheHandOffAndItsTimeoutIsTheSameOutcome() throws Exception {
    inner.claimMode = Mode.HANG;
    Idempotency idem =
        Idempotency.builder(inner)
            .storeCallTimeout(TIMEOUT)
            .storeExecutor(countingExecutor())
            .defaultConfig(IdempotencyConfig.custom().disableLeaseRenewal().build())
            .build();
    assertThat(idem.storeCallsHandedOff()).isTrue();
    assertThatThrownBy(() -> idem.execute(key, FP, () -> StoredOutcome.ok("x")))
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .cause()
        .isInstanceOfSatisfying(
            IdempotencyStoreTimeoutException.class,
            e -> assertThat(e.getTimeout()).isEqualTo(TIMEOUT));
    assertThat(handedOff).hasValue(1);
  }

  @Test
  void withoutATimeoutOrForALocalStoreNoViewIsAskedFor() {
    Idempotency untimed = Idempotency.builder(store).withoutStoreCallTimeout().build();
    assertThat(store.asked).isEmpty();
    assertThat(untimed.storeCallsHandedOff()).isFalse();
    untimed.execute(key, FP, () -> StoredOutcome.ok("a"));
    assertThat(store.directCalls.get()).isPositive();

    InMemoryIdempotencyStore local = InMemoryIdempotencyStore.create();
    assertThat(Idempotency.of(local).storeCallsHandedOff()).isFalse();
    assertThat(local.withCallTimeout(TIMEOUT)).containsSame(local);
    assertThat(Idempotency.of(new TestStore(clock)).storeCallsHandedOff()).isTrue();
  }

  @Test
  void aNonPositiveCallTimeoutIsRejectedByEveryStore() {
    for (IdempotencyStore s :
        List.<IdempotencyStore>of(inner, InMemoryIdempotencyStore.create(), store)) {
      assertThatThrownBy(() -> s.withCallTimeout(Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("PT0S");
      assertThatThrownBy(() -> s.withCallTimeout(Duration.ofMillis(-1)))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(inner.withCallTimeout(TIMEOUT)).as("the default: no view").isEmpty();
  }

  /**
   * Delegates to a {@link TestStore}; its view records the thread of every call and, when {@code
   * timeOut} is set, turns the inner store's failures into the timeout its bound would throw.
   */
  private static final class BoundingStore implements IdempotencyStore {
    final IdempotencyStore inner;
    final List<Duration> asked = new CopyOnWriteArrayList<>();
    final List<Thread> viewCalls = new CopyOnWriteArrayList<>();
    final AtomicInteger directCalls = new AtomicInteger();
    volatile boolean timeOut;

    BoundingStore(IdempotencyStore inner) {
      this.inner = inner;
    }

    @Override
    public Optional<IdempotencyStore> withCallTimeout(Duration timeout) {
      IdempotencyStore.requireCallTimeout(timeout);
      asked.add(timeout);
      return Optional.of(new View(timeout));
    }

    @Override
    public ClaimResult claim(IdempotencyKey k, RequestFingerprint f, Duration lease) {
      directCalls.incrementAndGet();
      return inner.claim(k, f, lease);
    }

    @Override
    public boolean complete(IdempotencyKey k, String t, StoredOutcome o, Duration r) {
      directCalls.incrementAndGet();
      return inner.complete(k, t, o, r);
    }

    @Override
    public boolean release(IdempotencyKey k, String t) {
      directCalls.incrementAndGet();
      return inner.release(k, t);
    }

    @Override
    public Optional<Instant> renew(IdempotencyKey k, String t, Duration lease) {
      directCalls.incrementAndGet();
      return inner.renew(k, t, lease);
    }

    @Override
    public Optional<IdempotencyRecord> find(IdempotencyKey k) {
      directCalls.incrementAndGet();
      return inner.find(k);
    }

    private final class View implements IdempotencyStore {
      final Duration timeout;

      View(Duration timeout) {
        this.timeout = timeout;
      }

      private <T> T bounded(java.util.function.Supplier<T> call) {
        viewCalls.add(Thread.currentThread());
        try {
          return call.get();
        } catch (IdempotencyStoreException e) {
          if (timeOut) {
            throw new IdempotencyStoreTimeoutException("bound elapsed", timeout, e);
          }
          throw e;
        }
      }

      @Override
      public ClaimResult claim(IdempotencyKey k, RequestFingerprint f, Duration lease) {
        return bounded(() -> inner.claim(k, f, lease));
      }

      @Override
      public boolean complete(IdempotencyKey k, String t, StoredOutcome o, Duration r) {
        return bounded(() -> inner.complete(k, t, o, r));
      }

      @Override
      public boolean release(IdempotencyKey k, String t) {
        return bounded(() -> inner.release(k, t));
      }

      @Override
      public Optional<Instant> renew(IdempotencyKey k, String t, Duration lease) {
        return bounded(() -> inner.renew(k, t, lease));
      }

      @Override
      public Optional<IdempotencyRecord> find(IdempotencyKey k) {
        return bounded(() -> inner.find(k));
      }
    }
  }
}
