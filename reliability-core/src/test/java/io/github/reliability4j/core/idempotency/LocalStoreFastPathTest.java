package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.event.IdempotencyEvent.Type;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The replay fast paths: the in-memory store answers a live completed record with a read, and the
 * engine calls a local store directly (no executor, no timeout, no circuit breaker).
 */
class LocalStoreFastPathTest {

  private static final RequestFingerprint FP = RequestFingerprint.sha256("payload");
  private static final RequestFingerprint OTHER = RequestFingerprint.sha256("other payload");
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration RETENTION = Duration.ofHours(1);

  private final TestClock clock = new TestClock();
  private final InMemoryIdempotencyStore store =
      InMemoryIdempotencyStore.builder().clock(clock).build();
  private final IdempotencyKey key = IdempotencyKey.of("tenant", "pay", "k");

  private void completeKey(String body) {
    ClaimResult.Acquired acquired = (ClaimResult.Acquired) store.claim(key, FP, LEASE);
    assertThat(store.complete(key, acquired.ownerToken(), StoredOutcome.ok(body), RETENTION))
        .isTrue();
  }

  @Test
  void aLiveCompletedRecordIsReplayedWithItsOutcomeAndExpiry() {
    completeKey("receipt");
    Instant expiry = clock.instant().plus(RETENTION);
    clock.advance(RETENTION.minusNanos(1));
    ClaimResult r = store.claim(key, FP, LEASE);
    assertThat(r).isInstanceOf(ClaimResult.Completed.class);
    assertThat(((ClaimResult.Completed) r).outcome().bodyAsString()).isEqualTo("receipt");
    assertThat(((ClaimResult.Completed) r).retentionExpiry()).isEqualTo(expiry);
  }

  @Test
  void theLastMillisecondBeforeExpiryStillReplaysOnANonMillisecondBoundary() {
    // The lock-free read must end exactly at the retention expiry, not at a millisecond boundary.
    Instant completedAt = Instant.parse("2030-01-01T00:00:00.123456789Z");
    clock.set(completedAt);
    completeKey("receipt");
    Idempotency idem =
        Idempotency.of(store, IdempotencyConfig.custom().disableLeaseRenewal().build());
    Instant expiry = completedAt.plus(RETENTION);
    // Same epoch millisecond as the expiry, 456,789 ns before it.
    clock.set(expiry.minusNanos(456_789));
    assertThat(clock.millis()).isEqualTo(expiry.toEpochMilli());
    IdempotencyResult<StoredOutcome> r = idem.execute(key, FP, () -> StoredOutcome.ok("again"));
    assertThat(r.isReplayed()).isTrue();
    assertThat(r.value().bodyAsString()).isEqualTo("receipt");
    clock.set(expiry.minusNanos(1));
    assertThat(idem.execute(key, FP, () -> StoredOutcome.ok("again")).isReplayed()).isTrue();
    clock.set(expiry);
    IdempotencyResult<StoredOutcome> after = idem.execute(key, FP, () -> StoredOutcome.ok("again"));
    assertThat(after.isReplayed()).isFalse();
    assertThat(after.value().bodyAsString()).isEqualTo("again");
  }

  @Test
  void aDuplicateOfALiveCompletedRecordGetsTheAnswerBuiltWhenItCompleted() {
    completeKey("receipt");
    ClaimResult first = store.claim(key, FP, LEASE);
    assertThat(store.claim(key, FP, LEASE)).isSameAs(first);
    assertThat(store.claim(key, OTHER, LEASE)).isSameAs(store.claim(key, OTHER, LEASE));
  }

  @Test
  void aFingerprintDifferingInAnySingleByteIsAMismatch() {
    completeKey("receipt");
    String hex = FP.hex();
    for (int i = 0; i < 32; i++) {
      char c = hex.charAt(2 * i + 1);
      String flipped =
          hex.substring(0, 2 * i + 1) + (c == '0' ? '1' : '0') + hex.substring(2 * i + 2);
      assertThat(store.claim(key, RequestFingerprint.fromHex(flipped), LEASE))
          .as("byte %d differs", i)
          .isInstanceOf(ClaimResult.Mismatch.class);
    }
    assertThat(store.claim(key, RequestFingerprint.fromHex(hex), LEASE))
        .as("an equal fingerprint that is another instance")
        .isInstanceOf(ClaimResult.Completed.class);
  }

  @Test
  void aClockMovedForwardPastTheRetentionEndsTheReplayAtOnce() {
    completeKey("receipt");
    assertThat(store.claim(key, FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);
    clock.advance(Duration.ofDays(365 * 100));
    assertThat(store.claim(key, OTHER, LEASE)).isInstanceOf(ClaimResult.Acquired.class);
  }

  @Test
  void aCompletedRecordAtItsExpiryIsNotReplayedButClaimedAfresh() {
    completeKey("receipt");
    clock.advance(RETENTION);
    ClaimResult r = store.claim(key, OTHER, LEASE);
    assertThat(r)
        .isInstanceOfSatisfying(
            ClaimResult.Acquired.class, a -> assertThat(a.takeover()).isFalse());
    assertThat(store.find(key))
        .hasValueSatisfying(
            rec -> {
              assertThat(rec.state()).isEqualTo(RecordState.IN_PROGRESS);
              assertThat(rec.fingerprint()).isEqualTo(OTHER);
            });
  }

  @Test
  void aDifferentFingerprintOnALiveCompletedRecordIsAMismatch() {
    completeKey("receipt");
    assertThat(store.claim(key, OTHER, LEASE))
        .isEqualTo(new ClaimResult.Mismatch(RecordState.COMPLETED));
    assertThat(store.find(key))
        .hasValueSatisfying(rec -> assertThat(rec.state()).isEqualTo(RecordState.COMPLETED));
  }

  @Test
  void anInProgressRecordIsStillDecidedAtomically() {
    ClaimResult.Acquired first = (ClaimResult.Acquired) store.claim(key, FP, LEASE);
    assertThat(store.claim(key, FP, LEASE)).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(store.claim(key, OTHER, LEASE))
        .isEqualTo(new ClaimResult.Mismatch(RecordState.IN_PROGRESS));
    clock.advance(LEASE);
    assertThat(store.claim(key, FP, LEASE))
        .isInstanceOfSatisfying(ClaimResult.Acquired.class, a -> assertThat(a.takeover()).isTrue());
    assertThat(store.complete(key, first.ownerToken(), StoredOutcome.ok("late"), RETENTION))
        .isFalse();
  }

  @Test
  void theInMemoryStoreIsLocalAndOtherStoresAreNotByDefault() {
    assertThat(store.isLocal()).isTrue();
    assertThat(new TestStore(clock).isLocal()).isFalse();
  }

  @Test
  void theEngineCallsALocalStoreOnTheCallersThreadBypassingExecutorAndCircuitBreaker() {
    CountingExecutor executor = new CountingExecutor();
    CircuitBreaker cb = CircuitBreaker.ofDefaults("test");
    cb.transitionToForcedOpenState();
    RecordingListener events = new RecordingListener();
    Idempotency idem =
        Idempotency.builder(store)
            .storeExecutor(executor)
            .circuitBreaker(cb)
            .listener(events)
            .defaultConfig(IdempotencyConfig.custom().disableLeaseRenewal().build())
            .build();
    AtomicInteger runs = new AtomicInteger();
    for (int i = 0; i < 3; i++) {
      IdempotencyResult<StoredOutcome> r =
          idem.execute(key, FP, () -> StoredOutcome.ok("run-" + runs.incrementAndGet()));
      assertThat(r.value().bodyAsString()).isEqualTo("run-1");
    }
    assertThat(runs).hasValue(1);
    assertThat(executor.submitted).hasValue(0);
    assertThat(events.types())
        .containsExactly(Type.CLAIMED, Type.COMPLETED, Type.REPLAYED, Type.REPLAYED);
    assertThat(events.last(Type.REPLAYED).getDetail()).isEqualTo("status 200");
    assertThatThrownBy(() -> idem.execute(key, OTHER, () -> StoredOutcome.ok("x")))
        .isInstanceOf(IdempotencyKeyMismatchException.class);
  }

  @Test
  void aNonLocalStoreStillGoesThroughExecutorAndCircuitBreaker() {
    CountingExecutor executor = new CountingExecutor();
    CircuitBreaker cb = CircuitBreaker.ofDefaults("test");
    Idempotency idem =
        Idempotency.builder(new TestStore(clock))
            .storeExecutor(executor)
            .circuitBreaker(cb)
            .defaultConfig(IdempotencyConfig.custom().disableLeaseRenewal().build())
            .build();
    idem.execute(key, FP, () -> StoredOutcome.ok("a"));
    assertThat(executor.submitted.get()).isGreaterThanOrEqualTo(2);
    cb.transitionToForcedOpenState();
    assertThatThrownBy(() -> idem.execute(key, FP, () -> StoredOutcome.ok("b")))
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .hasCauseInstanceOf(CallNotPermittedException.class);
  }

  @Test
  void aThrowingLocalStoreStillAppliesTheOutagePolicy() {
    ThrowingLocalStore local = new ThrowingLocalStore();
    RecordingListener events = new RecordingListener();
    Idempotency closed =
        Idempotency.builder(local)
            .listener(events)
            .defaultConfig(IdempotencyConfig.custom().disableLeaseRenewal().build())
            .build();
    AtomicInteger runs = new AtomicInteger();
    assertThatThrownBy(
            () -> closed.execute(key, FP, () -> StoredOutcome.ok("" + runs.incrementAndGet())))
        .isInstanceOf(IdempotencyStoreUnavailableException.class)
        .hasRootCauseMessage("local store broken");
    assertThat(runs).hasValue(0);
    assertThat(events.types()).containsExactly(Type.STORE_ERROR);

    Idempotency open =
        Idempotency.builder(local)
            .defaultConfig(
                IdempotencyConfig.custom()
                    .outagePolicy(OutagePolicy.FAIL_OPEN)
                    .disableLeaseRenewal()
                    .build())
            .build();
    open.execute(key, FP, () -> StoredOutcome.ok("" + runs.incrementAndGet()));
    assertThat(runs).hasValue(1);
  }

  @Test
  void requireMaxLengthStillRejectsALongComponent() {
    IdempotencyKey longKey = IdempotencyKey.of("tenant", "pay", "x".repeat(300));
    assertThatThrownBy(() -> longKey.requireMaxLength(255))
        .isInstanceOfSatisfying(
            InvalidIdempotencyKeyException.class,
            e ->
                assertThat(e.getReason())
                    .isEqualTo(InvalidIdempotencyKeyException.Reason.TOO_LONG));
    assertThat(longKey.requireMaxLength(300)).isSameAs(longKey);
  }

  /** A local store whose every call throws. */
  private static final class ThrowingLocalStore implements IdempotencyStore {
    @Override
    public boolean isLocal() {
      return true;
    }

    @Override
    public ClaimResult claim(IdempotencyKey k, RequestFingerprint f, Duration lease) {
      throw new IdempotencyStoreException("local store broken");
    }

    @Override
    public boolean complete(IdempotencyKey k, String t, StoredOutcome o, Duration r) {
      throw new IdempotencyStoreException("local store broken");
    }

    @Override
    public boolean release(IdempotencyKey k, String t) {
      throw new IdempotencyStoreException("local store broken");
    }

    @Override
    public Optional<Instant> renew(IdempotencyKey k, String t, Duration lease) {
      throw new IdempotencyStoreException("local store broken");
    }

    @Override
    public Optional<IdempotencyRecord> find(IdempotencyKey k) {
      throw new IdempotencyStoreException("local store broken");
    }
  }

  /** Runs tasks on the calling thread and counts them. */
  private static final class CountingExecutor extends AbstractExecutorService {
    final AtomicInteger submitted = new AtomicInteger();
    final AtomicReference<Thread> lastThread = new AtomicReference<>();

    @Override
    public void execute(Runnable command) {
      submitted.incrementAndGet();
      lastThread.set(Thread.currentThread());
      command.run();
    }

    @Override
    public void shutdown() {}

    @Override
    public java.util.List<Runnable> shutdownNow() {
      return java.util.List.of();
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
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }

  @Test
  void aReplayReturnsTheOutcomeItStoredAndAFingerprintDifferingInAnyByteIsAMismatch() {
    completeKey("receipt");
    Idempotency idem =
        Idempotency.of(store, IdempotencyConfig.custom().disableLeaseRenewal().build());
    IdempotencyResult<StoredOutcome> first = idem.execute(key, FP, () -> StoredOutcome.ok("x"));
    IdempotencyResult<StoredOutcome> second = idem.execute(key, FP, () -> StoredOutcome.ok("x"));
    assertThat(first.status()).isEqualTo(IdempotencyResult.Status.REPLAYED);
    assertThat(first.value().bodyAsString()).isEqualTo("receipt");
    // The replay result is built once per stored outcome, not per replay.
    assertThat(second).isSameAs(first);
    // The fingerprint compares four 8-byte words: a difference in any byte of any word counts.
    byte[] digest = FP.bytes();
    for (int i = 0; i < digest.length; i++) {
      byte[] changed = digest.clone();
      changed[i] ^= (byte) (1 << (i % 8));
      RequestFingerprint other =
          RequestFingerprint.fromHex(java.util.HexFormat.of().formatHex(changed));
      assertThat(other).as("byte %d changed", i).isNotEqualTo(FP);
      assertThat(store.claim(key, other, LEASE)).isInstanceOf(ClaimResult.Mismatch.class);
      assertThatThrownBy(() -> idem.execute(key, other, () -> StoredOutcome.ok("x")))
          .isInstanceOf(IdempotencyKeyMismatchException.class);
    }
    assertThat(RequestFingerprint.fromHex(FP.hex())).isEqualTo(FP).hasSameHashCodeAs(FP);
  }
}
