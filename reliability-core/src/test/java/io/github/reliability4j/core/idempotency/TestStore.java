package io.github.reliability4j.core.idempotency;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** Delegates to an in-memory store, counts calls and can be switched to fail or hang per method. */
final class TestStore implements IdempotencyStore {

  enum Mode {
    NORMAL,
    THROW,
    HANG
  }

  final InMemoryIdempotencyStore delegate;
  final AtomicInteger calls = new AtomicInteger();
  final AtomicInteger inProgressAnswers = new AtomicInteger();
  final CountDownLatch hang = new CountDownLatch(1);
  volatile Mode claimMode = Mode.NORMAL;
  volatile Mode completeMode = Mode.NORMAL;
  volatile Mode releaseMode = Mode.NORMAL;

  TestStore(TestClock clock) {
    this.delegate = InMemoryIdempotencyStore.builder().clock(clock).build();
  }

  /** Lets hanging calls return (they then fail). */
  void unhang() {
    hang.countDown();
  }

  private <T> T call(Mode mode, Supplier<T> op) {
    calls.incrementAndGet();
    switch (mode) {
      case THROW:
        throw new IdempotencyStoreException("simulated outage");
      case HANG:
        try {
          hang.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new IdempotencyStoreException("released from hang");
      default:
        return op.get();
    }
  }

  @Override
  public ClaimResult claim(IdempotencyKey key, RequestFingerprint fp, Duration lease) {
    ClaimResult r = call(claimMode, () -> delegate.claim(key, fp, lease));
    if (r instanceof ClaimResult.InProgress) {
      inProgressAnswers.incrementAndGet();
    }
    return r;
  }

  @Override
  public boolean complete(
      IdempotencyKey key, String token, StoredOutcome outcome, Duration retention) {
    return call(completeMode, () -> delegate.complete(key, token, outcome, retention));
  }

  @Override
  public boolean release(IdempotencyKey key, String token) {
    return call(releaseMode, () -> delegate.release(key, token));
  }

  @Override
  public Optional<Instant> renew(IdempotencyKey key, String token, Duration lease) {
    return call(Mode.NORMAL, () -> delegate.renew(key, token, lease));
  }

  @Override
  public Optional<IdempotencyRecord> find(IdempotencyKey key) {
    return delegate.find(key);
  }
}
