package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.event.IdempotencyEvent.Type;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Leases are measured on the fake clock and renewed by a real scheduler with a short period; the
 * tests move the clock and poll (with a deadline) for the renewal to show in the store.
 */
class LeaseRenewalTest {

  private static final Duration LEASE = Duration.ofSeconds(10);
  private final TestClock clock = new TestClock();
  private final TestStore store = new TestStore(clock);
  private final RecordingListener events = new RecordingListener();
  private final ScheduledThreadPoolExecutor scheduler = newScheduler();

  private static ScheduledThreadPoolExecutor newScheduler() {
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1);
    s.setRemoveOnCancelPolicy(true);
    return s;
  }

  @AfterEach
  void tearDown() {
    scheduler.shutdownNow();
  }

  private Idempotency engine() {
    return Idempotency.builder(store)
        .defaultConfig(
            IdempotencyConfig.custom()
                .leaseDuration(LEASE)
                .leaseRenewalInterval(Duration.ofMillis(5))
                .build())
        .renewalScheduler(scheduler)
        .listener(events)
        .withoutStoreCallTimeout()
        .build();
  }

  private static final IdempotencyKey KEY = IdempotencyKey.of("t", "long-job", "k");
  private static final RequestFingerprint FP = RequestFingerprint.sha256("p");

  @Test
  void aLongActionKeepsItsLeaseWellPastTheLeaseDuration() throws Exception {
    Idempotency idem = engine();
    IdempotentExecution owner = idem.begin(KEY, FP);
    Instant start = clock.instant();
    for (int i = 0; i < 5; i++) {
      clock.advance(Duration.ofSeconds(6));
      Instant now = clock.instant();
      awaitTrue(() -> store.find(KEY).map(r -> r.expiry().equals(now.plus(LEASE))).orElse(false));
    }
    assertThat(clock.instant()).isAfter(start.plus(LEASE.multipliedBy(2)));
    assertThat(store.claim(KEY, FP, LEASE)).isInstanceOf(ClaimResult.InProgress.class);
    Instant expected = clock.instant().plus(LEASE);
    awaitTrue(() -> owner.leaseExpiry().orElseThrow().equals(expected));
    assertThat(owner.complete(StoredOutcome.ok("done"))).isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(owner.isLeaseLost()).isFalse();
  }

  @Test
  void renewalDetectsALostLeaseAndReportsIt() throws Exception {
    Idempotency idem = engine();
    IdempotentExecution owner = idem.begin(KEY, FP);
    // once the clock is past the lease, no renewal can succeed, so the claim takes over
    clock.advance(LEASE.multipliedBy(3));
    ClaimResult takeover = store.claim(KEY, FP, LEASE);
    assertThat(takeover).isInstanceOf(ClaimResult.Acquired.class);
    awaitTrue(owner::isLeaseLost);
    // the renewal thread sets the flag before it publishes the event: wait for the event too
    awaitTrue(() -> events.types().contains(Type.LEASE_LOST));
    assertThat(events.last(Type.LEASE_LOST).getDetail()).contains("renewal refused");
    assertThat(owner.complete(StoredOutcome.ok("late")))
        .isEqualTo(IdempotencyResult.Status.LEASE_LOST);
    assertThat(store.find(KEY).orElseThrow().ownerToken())
        .isEqualTo(((ClaimResult.Acquired) takeover).ownerToken());
  }

  @Test
  void renewalStopsWhenTheExecutionFinishes() throws Exception {
    Idempotency idem = engine();
    IdempotentExecution owner = idem.begin(KEY, FP);
    owner.complete(StoredOutcome.ok("done"));
    int callsAfterComplete = store.calls.get();
    // the scheduler has no periodic task left once the renewal is cancelled
    awaitTrue(() -> scheduler.getQueue().isEmpty());
    assertThat(store.calls.get()).isLessThanOrEqualTo(callsAfterComplete + 1);
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 30 s");
      }
      Thread.sleep(1);
    }
  }
}
