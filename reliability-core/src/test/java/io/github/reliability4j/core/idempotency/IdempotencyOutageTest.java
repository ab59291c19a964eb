package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.TestStore.Mode;
import io.github.reliability4j.core.idempotency.event.IdempotencyEvent.Type;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Outage policies with a store that throws and a store that hangs. */
class IdempotencyOutageTest {

  private final TestClock clock = new TestClock();
  private final TestStore store = new TestStore(clock);
  private final RecordingListener events = new RecordingListener();
  private final AtomicInteger runs = new AtomicInteger();
  private final ExecutorService storeExecutor = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    store.unhang();
    storeExecutor.shutdownNow();
  }

  private Idempotency engine(OutagePolicy policy) {
    return Idempotency.builder(store)
        .defaultConfig(
            IdempotencyConfig.custom().outagePolicy(policy).disableLeaseRenewal().build())
        .listener(events)
        .storeExecutor(storeExecutor)
        // Generous: a healthy store call must never hit it on a loaded 2-core CI machine; only the
        // hanging store does, and each such test waits this long once.
        .storeCallTimeout(Duration.ofSeconds(1))
        .build();
  }

  private static IdempotencyKey key(String k) {
    return IdempotencyKey.of("tenant", "pay", k);
  }

  private static final RequestFingerprint FP = RequestFingerprint.sha256("payload");

  private Supplier<StoredOutcome> action() {
    return () -> StoredOutcome.ok("run-" + runs.incrementAndGet());
  }

  @Test
  void failClosedWithAThrowingStoreDoesNotRunTheAction() {
    store.claimMode = Mode.THROW;
    Idempotency idem = engine(OutagePolicy.FAIL_CLOSED);
    assertThatThrownBy(() -> idem.execute(key("k"), FP, action()))
        .isInstanceOfSatisfying(
            IdempotencyStoreUnavailableException.class,
            e -> {
              assertThat(e.isRetryable()).isTrue();
              assertThat(e.getCause()).hasMessage("simulated outage");
              assertThat(e.getMessage()).contains("FAIL_CLOSED").contains("not run");
            });
    assertThat(runs).hasValue(0);
    assertThat(events.types()).containsExactly(Type.STORE_ERROR);
  }

  @Test
  void failClosedWithAHangingStoreIsBoundedByTheTimeout() {
    store.claimMode = Mode.HANG;
    Idempotency idem = engine(OutagePolicy.FAIL_CLOSED);
    assertThatThrownBy(() -> idem.execute(key("k"), FP, action()))
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .cause()
        .isInstanceOf(IdempotencyStoreException.class)
        .hasMessageContaining("timed out after PT1S");
    assertThat(runs).hasValue(0);
  }

  @Test
  void failOpenWithAThrowingStoreRunsTheActionWithoutDedup() {
    store.claimMode = Mode.THROW;
    Idempotency idem = engine(OutagePolicy.FAIL_OPEN);
    IdempotencyResult<StoredOutcome> first = idem.execute(key("k"), FP, action());
    IdempotencyResult<StoredOutcome> second = idem.execute(key("k"), FP, action());
    assertThat(first.status()).isEqualTo(IdempotencyResult.Status.NOT_DEDUPLICATED);
    assertThat(second.value().bodyAsString()).isEqualTo("run-2");
    assertThat(runs).hasValue(2);
    assertThat(events.types())
        .containsExactly(Type.STORE_ERROR, Type.FAIL_OPEN, Type.STORE_ERROR, Type.FAIL_OPEN);
    assertThat(events.last(Type.FAIL_OPEN).getError()).isPresent();
  }

  @Test
  void failOpenWithAHangingStoreRunsTheActionAfterTheTimeout() {
    store.claimMode = Mode.HANG;
    Idempotency idem = engine(OutagePolicy.FAIL_OPEN);
    IdempotencyResult<StoredOutcome> r = idem.execute(key("k"), FP, action());
    assertThat(r.status()).isEqualTo(IdempotencyResult.Status.NOT_DEDUPLICATED);
    assertThat(r.value().bodyAsString()).isEqualTo("run-1");
  }

  @Test
  void outagePolicyIsPerOperation() {
    store.claimMode = Mode.THROW;
    Idempotency idem =
        Idempotency.builder(store)
            .operationConfig(
                "open", IdempotencyConfig.custom().outagePolicy(OutagePolicy.FAIL_OPEN).build())
            .withoutStoreCallTimeout()
            .build();
    assertThat(idem.execute(IdempotencyKey.of("t", "open", "k"), FP, action()).status())
        .isEqualTo(IdempotencyResult.Status.NOT_DEDUPLICATED);
    assertThatThrownBy(() -> idem.execute(IdempotencyKey.of("t", "closed", "k"), FP, action()))
        .isInstanceOf(IdempotencyStoreUnavailableException.class);
  }

  @Test
  void anOpenCircuitBreakerStopsCallingTheStore() {
    store.claimMode = Mode.THROW;
    CircuitBreaker cb =
        CircuitBreaker.of(
            "test",
            CircuitBreakerConfig.custom()
                .slidingWindowSize(4)
                .minimumNumberOfCalls(4)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofHours(1))
                .build());
    Idempotency idem =
        Idempotency.builder(store)
            .circuitBreaker(cb)
            .withoutStoreCallTimeout()
            .listener(events)
            .build();
    for (int i = 0; i < 4; i++) {
      assertThatThrownBy(() -> idem.execute(key("k"), FP, action()))
          .isInstanceOf(IdempotencyStoreUnavailableException.class);
    }
    assertThat(cb.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    int callsBefore = store.calls.get();
    assertThatThrownBy(() -> idem.execute(key("k"), FP, action()))
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .hasCauseInstanceOf(CallNotPermittedException.class);
    assertThat(store.calls.get()).isEqualTo(callsBefore);
    assertThat(idem.getCircuitBreaker()).isSameAs(cb);
    assertThat(runs).hasValue(0);
  }

  @Test
  void aCompletionThatFailsStillReturnsTheValueAndTheLeaseThenExpires() {
    store.completeMode = Mode.THROW;
    Idempotency idem = engine(OutagePolicy.FAIL_CLOSED);
    IdempotencyResult<StoredOutcome> r = idem.execute(key("k"), FP, action());
    assertThat(r.status()).isEqualTo(IdempotencyResult.Status.STORE_ERROR);
    assertThat(r.value().bodyAsString()).isEqualTo("run-1");
    assertThat(events.last(Type.STORE_ERROR).getDetail()).contains("complete");
    assertThat(store.find(key("k")).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
    store.completeMode = Mode.NORMAL;
    assertThatThrownBy(() -> idem.execute(key("k"), FP, action()))
        .isInstanceOf(IdempotencyConflictException.class);
    clock.advance(IdempotencyConfig.DEFAULT_LEASE_DURATION);
    assertThat(idem.execute(key("k"), FP, action()).status())
        .isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(events.types()).contains(Type.TAKEOVER);
  }

  @Test
  void aHangingCompletionIsBoundedAndReportsStoreError() {
    store.completeMode = Mode.HANG;
    Idempotency idem = engine(OutagePolicy.FAIL_CLOSED);
    IdempotencyResult<StoredOutcome> r = idem.execute(key("k"), FP, action());
    assertThat(r.status()).isEqualTo(IdempotencyResult.Status.STORE_ERROR);
    assertThat(r.value().bodyAsString()).isEqualTo("run-1");
  }

  @Test
  void aFailingReleaseKeepsTheActionsOwnException() {
    store.releaseMode = Mode.THROW;
    Idempotency idem = engine(OutagePolicy.FAIL_CLOSED);
    IllegalArgumentException boom = new IllegalArgumentException("business failure");
    assertThatThrownBy(
            () ->
                idem.execute(
                    key("k"),
                    FP,
                    () -> {
                      throw boom;
                    }))
        .isSameAs(boom);
    assertThat(events.last(Type.STORE_ERROR).getDetail()).contains("release");
  }
}
