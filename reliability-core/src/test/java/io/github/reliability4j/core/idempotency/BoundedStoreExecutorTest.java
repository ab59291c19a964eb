package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.TestStore.Mode;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The default store executor is bounded: a hung store holds a fixed number of threads. */
class BoundedStoreExecutorTest {
  private final TestClock clock = new TestClock();
  private final TestStore store = new TestStore(clock);
  private final ExecutorService executor = Idempotency.Defaults.newStoreExecutor(2, 1);
  private final AtomicInteger runs = new AtomicInteger();

  @AfterEach
  void tearDown() {
    store.unhang();
    executor.shutdownNow();
  }

  private Idempotency engine(OutagePolicy policy) {
    return Idempotency.builder(store)
        .defaultConfig(
            IdempotencyConfig.custom().outagePolicy(policy).disableLeaseRenewal().build())
        .storeExecutor(executor)
        .storeCallTimeout(Duration.ofMillis(200))
        .circuitBreaker(CircuitBreaker.ofDefaults("bounded-test"))
        .build();
  }

  @Test
  void theDefaultIsBoundedThreadsAndQueue() {
    ThreadPoolExecutor pool = (ThreadPoolExecutor) Idempotency.Defaults.STORE_EXECUTOR;
    assertThat(pool.getMaximumPoolSize()).isEqualTo(32);
    assertThat(pool.getQueue().remainingCapacity() + pool.getQueue().size()).isEqualTo(1_000);
  }

  @Test
  void aHungStoreHoldsAtMostTheBoundAndFurtherCallsFollowTheOutagePolicy() {
    store.claimMode = Mode.HANG;
    Idempotency closed = engine(OutagePolicy.FAIL_CLOSED);
    // every call times out; the hung calls keep their threads (the store ignores interrupts only
    // until unhang, but the pool never grows past 2) and the queue fills with abandoned calls
    for (int i = 0; i < 6; i++) {
      String k = "k" + i;
      assertThatThrownBy(
              () ->
                  closed.execute(
                      IdempotencyKey.of("t", "pay", k),
                      RequestFingerprint.sha256("p"),
                      () -> StoredOutcome.ok("run-" + runs.incrementAndGet())))
          .isInstanceOf(IdempotencyStoreUnavailableException.class);
      assertThat(((ThreadPoolExecutor) executor).getPoolSize()).isLessThanOrEqualTo(2);
    }
    assertThat(runs).hasValue(0);
    assertThat(((ThreadPoolExecutor) executor).getLargestPoolSize()).isLessThanOrEqualTo(2);

    Idempotency open = engine(OutagePolicy.FAIL_OPEN);
    IdempotencyResult<StoredOutcome> r =
        open.execute(
            IdempotencyKey.of("t", "pay", "open"),
            RequestFingerprint.sha256("p"),
            () -> StoredOutcome.ok("run-" + runs.incrementAndGet()));
    assertThat(r.status()).isEqualTo(IdempotencyResult.Status.NOT_DEDUPLICATED);
    assertThat(runs).hasValue(1);
  }

  @Test
  void aFullExecutorRejectsWithAnActionableStoreError() {
    store.claimMode = Mode.HANG;
    // two hung threads, one queued call: the next submission is rejected at once
    executor.submit(() -> store.claim(null, null, null));
    executor.submit(() -> store.claim(null, null, null));
    executor.submit(() -> {});
    Idempotency closed = engine(OutagePolicy.FAIL_CLOSED);
    assertThatThrownBy(
            () ->
                closed.execute(
                    IdempotencyKey.of("t", "pay", "rejected"),
                    RequestFingerprint.sha256("p"),
                    () -> StoredOutcome.ok("never")))
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .cause()
        .isInstanceOf(IdempotencyStoreException.class)
        .hasMessageContaining("executor is full");
  }
}
