package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyRecord;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import io.github.reliability4j.core.idempotency.InMemoryIdempotencyStore;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory store whose claims can be made to throw or to hang until {@link #heal()}. */
final class OutageStore implements IdempotencyStore {

  enum Mode {
    HEALTHY,
    THROWING,
    HANGING
  }

  private final InMemoryIdempotencyStore delegate = InMemoryIdempotencyStore.create();
  private volatile Mode mode = Mode.HEALTHY;
  private volatile CountDownLatch hang = new CountDownLatch(0);
  final AtomicInteger hungClaims = new AtomicInteger();

  void set(Mode mode) {
    if (mode == Mode.HANGING) {
      hang = new CountDownLatch(1);
    }
    this.mode = mode;
  }

  /** Back to healthy; hanging calls return (their late results are discarded by the engine). */
  void heal() {
    mode = Mode.HEALTHY;
    hang.countDown();
  }

  @Override
  public ClaimResult claim(IdempotencyKey key, RequestFingerprint fp, Duration lease) {
    switch (mode) {
      case THROWING -> throw new IdempotencyStoreException("store down (test)", null);
      case HANGING -> {
        hungClaims.incrementAndGet();
        try {
          // Bounded so a broken test cannot leak a thread forever.
          hang.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new IdempotencyStoreException("store hung (test)", null);
      }
      default -> {
        return delegate.claim(key, fp, lease);
      }
    }
  }

  @Override
  public boolean complete(
      IdempotencyKey key, String ownerToken, StoredOutcome outcome, Duration retention) {
    return delegate.complete(key, ownerToken, outcome, retention);
  }

  @Override
  public boolean release(IdempotencyKey key, String ownerToken) {
    return delegate.release(key, ownerToken);
  }

  @Override
  public Optional<Instant> renew(IdempotencyKey key, String ownerToken, Duration lease) {
    return delegate.renew(key, ownerToken, lease);
  }

  @Override
  public Optional<IdempotencyRecord> find(IdempotencyKey key) {
    return delegate.find(key);
  }
}
