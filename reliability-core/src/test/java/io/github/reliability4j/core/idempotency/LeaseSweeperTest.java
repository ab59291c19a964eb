package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Lease renewal from one shared sweep task: however many owners hold leases, the scheduler holds
 * one periodic task, every owner is renewed, and a finished owner leaves the sweep.
 */
class LeaseSweeperTest {

  private static final Duration LEASE = Duration.ofSeconds(10);
  private static final RequestFingerprint FP = RequestFingerprint.sha256("p");

  private final TestClock clock = new TestClock();
  private final TestStore store = new TestStore(clock);
  private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);

  @AfterEach
  void tearDown() {
    scheduler.shutdownNow();
  }

  private Idempotency engine(Duration interval) {
    return Idempotency.builder(store)
        .defaultConfig(
            IdempotencyConfig.custom().leaseDuration(LEASE).leaseRenewalInterval(interval).build())
        .renewalScheduler(scheduler)
        .withoutStoreCallTimeout()
        .build();
  }

  @Test
  void manyOwnersShareOneScheduledTaskAndAreAllRenewed() throws Exception {
    scheduler.setRemoveOnCancelPolicy(true);
    Idempotency idem = engine(Duration.ofMillis(5));
    List<IdempotentExecution> owners = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      owners.add(idem.begin(IdempotencyKey.of("t", "job", "k" + i), FP));
    }
    assertOneSweepTask("one sweep task, not one per owner");
    assertThat(idem.leaseSweeper().size()).isEqualTo(50);
    clock.advance(Duration.ofSeconds(6));
    Instant now = clock.instant();
    for (int i = 0; i < 50; i++) {
      IdempotencyKey key = IdempotencyKey.of("t", "job", "k" + i);
      awaitTrue(() -> store.find(key).map(r -> r.expiry().equals(now.plus(LEASE))).orElse(false));
    }
    for (IdempotentExecution owner : owners) {
      owner.complete(StoredOutcome.ok("done"));
    }
    assertThat(idem.leaseSweeper().size()).as("finished owners leave the sweep").isZero();
    assertOneSweepTask("still one sweep task");
  }

  /**
   * The periodic sweep leaves the queue while it runs (every 5 ms here), so a single look can see
   * zero tasks; one task per owner would never get the queue down to one.
   */
  private void assertOneSweepTask(String why) throws InterruptedException {
    awaitTrue(() -> scheduler.getQueue().size() == 1);
    assertThat(scheduler.getQueue().size()).as(why).isLessThanOrEqualTo(1);
  }

  @Test
  void aSmallerIntervalReschedulesTheSweepAndEqualOrLargerOnesReuseIt() {
    scheduler.setRemoveOnCancelPolicy(true);
    Idempotency idem =
        Idempotency.builder(store)
            .defaultConfig(
                IdempotencyConfig.custom()
                    .leaseDuration(LEASE)
                    .leaseRenewalInterval(Duration.ofSeconds(3))
                    .build())
            .operationConfig(
                "fast",
                IdempotencyConfig.custom()
                    .leaseDuration(LEASE)
                    .leaseRenewalInterval(Duration.ofMillis(500))
                    .build())
            .renewalScheduler(scheduler)
            .withoutStoreCallTimeout()
            .build();
    IdempotentExecution a = idem.begin(IdempotencyKey.of("t", "job", "a"), FP);
    IdempotentExecution b = idem.begin(IdempotencyKey.of("t", "job", "b"), FP);
    assertThat(scheduler.getQueue()).hasSize(1);
    assertThat(nextDelayMillis()).isGreaterThan(1000);
    IdempotentExecution c = idem.begin(IdempotencyKey.of("t", "fast", "c"), FP);
    assertThat(scheduler.getQueue()).as("rescheduled, the old task cancelled").hasSize(1);
    assertThat(nextDelayMillis()).isLessThanOrEqualTo(500);
    IdempotentExecution d = idem.begin(IdempotencyKey.of("t", "job", "d"), FP);
    assertThat(scheduler.getQueue()).hasSize(1);
    assertThat(idem.leaseSweeper().size()).isEqualTo(4);
    for (IdempotentExecution e : List.of(a, b, c, d)) {
      e.close();
    }
    assertThat(idem.leaseSweeper().size()).isZero();
  }

  private long nextDelayMillis() {
    return ((java.util.concurrent.Delayed) scheduler.getQueue().peek())
        .getDelay(TimeUnit.MILLISECONDS);
  }

  @Test
  void aRejectingSchedulerFailsTheBeginAndReleasesTheKey() {
    scheduler.shutdown();
    Idempotency idem = engine(Duration.ofMillis(5));
    IdempotencyKey key = IdempotencyKey.of("t", "job", "rejected");
    assertThatThrownBy(() -> idem.begin(key, FP)).isInstanceOf(RejectedExecutionException.class);
    assertThat(store.find(key)).as("the claim was released, not leaked").isEmpty();
    assertThat(idem.leaseSweeper().size()).isZero();
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within the deadline");
      }
      Thread.sleep(2);
    }
  }
}
