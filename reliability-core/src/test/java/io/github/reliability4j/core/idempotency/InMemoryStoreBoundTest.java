package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The in-memory store's own bound and lazy expiry, as its class documentation states them: the
 * oldest records are evicted first, the size stays within the bound plus one record per creating
 * thread, expired records never replay and are removed by later claims, and an expired in-progress
 * record is kept for the takeover grace unless the bound forces it out.
 */
class InMemoryStoreBoundTest {

  private static final RequestFingerprint FP = RequestFingerprint.sha256("payload");
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration RETENTION = Duration.ofHours(1);

  private final TestClock clock = new TestClock();

  private static IdempotencyKey key(int i) {
    return IdempotencyKey.of("tenant", "pay", "k" + i);
  }

  private static String acquire(InMemoryIdempotencyStore store, IdempotencyKey key) {
    ClaimResult r = store.claim(key, FP, LEASE);
    assertThat(r).isInstanceOf(ClaimResult.Acquired.class);
    return ((ClaimResult.Acquired) r).ownerToken();
  }

  private static void completeNew(InMemoryIdempotencyStore store, IdempotencyKey key) {
    assertThat(store.complete(key, acquire(store, key), StoredOutcome.ok("r"), RETENTION)).isTrue();
  }

  @Test
  void theOldestRecordsAreEvictedFirstAndCompletingOrRenewingKeepsTheirPlace() {
    InMemoryIdempotencyStore store =
        InMemoryIdempotencyStore.builder().clock(clock).maximumSize(3).build();
    String token1 = acquire(store, key(1));
    completeNew(store, key(2));
    completeNew(store, key(3));
    // Completing and renewing the oldest does not make it younger.
    assertThat(store.renew(key(1), token1, LEASE)).isPresent();
    assertThat(store.complete(key(1), token1, StoredOutcome.ok("r"), RETENTION)).isTrue();
    assertThat(store.claim(key(1), FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);

    completeNew(store, key(4));
    assertThat(store.find(key(1))).as("the oldest is evicted").isEmpty();
    assertThat(store.find(key(2))).isPresent();
    assertThat(store.find(key(3))).isPresent();
    assertThat(store.find(key(4))).isPresent();
    assertThat(store.estimatedSize()).isEqualTo(3);

    completeNew(store, key(5));
    assertThat(store.find(key(2))).isEmpty();
    assertThat(store.find(key(3))).isPresent();
    // A released record leaves the order; the next creation evicts nothing.
    String token6 = acquire(store, key(6));
    assertThat(store.find(key(3))).isEmpty();
    assertThat(store.release(key(6), token6)).isTrue();
    completeNew(store, key(7));
    assertThat(store.find(key(4))).isPresent();
    assertThat(store.find(key(5))).isPresent();
    assertThat(store.find(key(7))).isPresent();
    assertThat(store.estimatedSize()).isEqualTo(3);
  }

  @Test
  void theBoundEvictsAnInProgressRecordWhenItIsTheOldest() {
    InMemoryIdempotencyStore store =
        InMemoryIdempotencyStore.builder().clock(clock).maximumSize(2).build();
    String token = acquire(store, key(1));
    completeNew(store, key(2));
    completeNew(store, key(3));
    assertThat(store.find(key(1))).isEmpty();
    assertThat(store.complete(key(1), token, StoredOutcome.ok("late"), RETENTION))
        .as("evicted: its owner no longer holds it (documented as not guaranteed)")
        .isFalse();
  }

  @Test
  void expiredRecordsNeverReplayAndAreRemovedByLaterClaims() {
    InMemoryIdempotencyStore store =
        InMemoryIdempotencyStore.builder().clock(clock).maximumSize(100).build();
    for (int i = 0; i < 10; i++) {
      completeNew(store, key(i));
    }
    clock.advance(RETENTION);
    assertThat(store.estimatedSize()).isEqualTo(10);
    assertThat(store.find(key(0))).isEmpty();
    // Each claim that creates a record removes up to SWEEP_PER_CLAIM expired ones.
    String token = acquire(store, key(5));
    assertThat(token).as("an expired record runs again").isNotNull();
    assertThat(store.estimatedSize()).isEqualTo(10 - InMemoryIdempotencyStore.SWEEP_PER_CLAIM);
    for (int i = 100; i < 110; i++) {
      acquire(store, key(i));
    }
    assertThat(store.estimatedSize()).as("only the 11 live records remain").isEqualTo(11);
    for (int i = 0; i < 10; i++) {
      if (i != 5) {
        assertThat(store.find(key(i))).isEmpty();
      }
    }
  }

  @Test
  void anExpiredInProgressRecordIsKeptForTheTakeoverGrace() {
    InMemoryIdempotencyStore store =
        InMemoryIdempotencyStore.builder().clock(clock).maximumSize(100).build();
    acquire(store, key(0));
    clock.advance(LEASE.plus(InMemoryIdempotencyStore.TAKEOVER_GRACE).minusNanos(1));
    for (int i = 1; i <= 5; i++) {
      acquire(store, key(i));
    }
    ClaimResult takeover = store.claim(key(0), FP, LEASE);
    assertThat(((ClaimResult.Acquired) takeover).takeover())
        .as("still remembered within the grace: reported as a takeover")
        .isTrue();

    // Past lease + grace, later creations remove it and the five after it from the old end.
    clock.advance(LEASE.plus(InMemoryIdempotencyStore.TAKEOVER_GRACE));
    for (int i = 50; i < 53; i++) {
      acquire(store, key(i));
    }
    assertThat(store.estimatedSize()).isEqualTo(3);
    ClaimResult fresh = store.claim(key(0), FP, LEASE);
    assertThat(((ClaimResult.Acquired) fresh).takeover()).isFalse();
  }

  @Test
  void theSizeStaysWithinTheBoundPlusOnePerThreadUnderManyThreads() throws Exception {
    int threads = 8;
    int maximum = 64;
    InMemoryIdempotencyStore store =
        InMemoryIdempotencyStore.builder().clock(clock).maximumSize(maximum).build();
    ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong largest = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    try {
      Future<?> monitor =
          pool.submit(
              () -> {
                while (running.get()) {
                  largest.accumulateAndGet(store.estimatedSize(), Math::max);
                }
              });
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int seed = t;
        workers.add(
            pool.submit(
                () -> {
                  SplittableRandom random = new SplittableRandom(seed);
                  start.await();
                  for (int i = 0; i < 20_000; i++) {
                    // Overlapping keys: creations, replays, releases and re-creations race.
                    IdempotencyKey k = key(random.nextInt(4 * maximum));
                    ClaimResult r = store.claim(k, FP, LEASE);
                    if (r instanceof ClaimResult.Acquired) {
                      String token = ((ClaimResult.Acquired) r).ownerToken();
                      if (random.nextInt(4) == 0) {
                        store.release(k, token);
                      } else {
                        store.complete(k, token, StoredOutcome.ok("r"), RETENTION);
                      }
                    }
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> w : workers) {
        w.get(5, TimeUnit.MINUTES);
      }
      running.set(false);
      monitor.get(1, TimeUnit.MINUTES);
    } finally {
      pool.shutdownNow();
    }
    assertThat(largest.get())
        .as("never more than the bound plus one record per creating thread")
        .isLessThanOrEqualTo(maximum + threads);
    assertThat(store.estimatedSize())
        .as("within the bound once calls return")
        .isLessThanOrEqualTo(maximum);
    int present = 0;
    for (int i = 0; i < 4 * maximum; i++) {
      if (store.find(key(i)).isPresent()) {
        present++;
      }
    }
    assertThat((long) present).isEqualTo(store.estimatedSize());
    // The order is still consistent: filling the store with new keys evicts every old one.
    for (int i = 0; i < maximum; i++) {
      completeNew(store, IdempotencyKey.of("tenant", "pay", "fresh" + i));
    }
    assertThat(store.estimatedSize()).isEqualTo(maximum);
    for (int i = 0; i < 4 * maximum; i++) {
      assertThat(store.find(key(i))).isEmpty();
    }
  }
}
