package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The coarse replay clock of {@link InMemoryIdempotencyStore}, driven by a fake ticker that the
 * test refreshes by hand: a lagging ticker may only prolong a replay past its retention expiry (by
 * the lag, the stated tolerance), never drop a record early, and never changes a decision about an
 * in-progress record, which reads the exact clock.
 */
class CoarseTickerTest {

  private static final RequestFingerprint FP = RequestFingerprint.sha256("payload");
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration RETENTION = Duration.ofHours(1);

  private final TestClock clock = new TestClock();
  private final CoarseTicker ticker = new CoarseTicker(() -> CoarseTicker.toNanos(clock.instant()));
  private final InMemoryIdempotencyStore store =
      InMemoryIdempotencyStore.builder().clock(clock).coarseTicker(ticker).build();
  private final IdempotencyKey key = IdempotencyKey.of("tenant", "pay", "k");

  private void completeKey() {
    ClaimResult.Acquired acquired = (ClaimResult.Acquired) store.claim(key, FP, LEASE);
    assertThat(store.complete(key, acquired.ownerToken(), StoredOutcome.ok("receipt"), RETENTION))
        .isTrue();
  }

  @Test
  void theTickerIsAPastReadingOfItsSourceAndNeverStepsBack() {
    long start = ticker.read();
    clock.advance(Duration.ofMillis(5));
    assertThat(ticker.read()).as("not refreshed yet: behind the source").isEqualTo(start);
    ticker.refresh();
    assertThat(ticker.read()).isEqualTo(CoarseTicker.toNanos(clock.instant()));
    clock.advance(Duration.ofMillis(-3));
    ticker.refresh();
    assertThat(ticker.read())
        .as("a source stepping back does not move the ticker back")
        .isEqualTo(start + TimeUnit.MILLISECONDS.toNanos(5));
  }

  @Test
  void aLaggingTickerProlongsAReplayByTheLagOnlyAndNeverDropsARecordEarly() {
    completeKey();
    ticker.refresh();
    // Up to the expiry the record replays, whatever the ticker shows.
    clock.advance(RETENTION.minusNanos(1));
    assertThat(store.claim(key, FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);
    ticker.refresh();
    assertThat(store.claim(key, FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);
    // 1 ms past the expiry by the exact clock, the ticker still 1 ms behind: the tolerance.
    clock.advance(Duration.ofMillis(1).plusNanos(1));
    assertThat(store.claim(key, FP, LEASE))
        .as("replayed within the ticker's lag after the retention expiry")
        .isInstanceOf(ClaimResult.Completed.class);
    // Once the ticker catches up, the record is gone and the key runs again.
    ticker.refresh();
    assertThat(store.claim(key, FP, LEASE)).isInstanceOf(ClaimResult.Acquired.class);
  }

  @Test
  void findAndInProgressDecisionsReadTheExactClock() {
    ClaimResult.Acquired first = (ClaimResult.Acquired) store.claim(key, FP, LEASE);
    // The ticker is never refreshed in this test: it lags by the whole lease.
    clock.advance(LEASE);
    assertThat(store.find(key)).as("lease over by the exact clock").isEmpty();
    assertThat(store.complete(key, first.ownerToken(), StoredOutcome.ok("late"), RETENTION))
        .as("the fenced-off owner cannot complete")
        .isFalse();
    ClaimResult second = store.claim(key, FP, LEASE);
    assertThat(second).isInstanceOf(ClaimResult.Acquired.class);
    assertThat(((ClaimResult.Acquired) second).takeover()).isTrue();
    assertThat(((ClaimResult.Acquired) second).leaseExpiry())
        .isEqualTo(clock.instant().plus(LEASE));
  }

  @Test
  void theSystemTickerIsRefreshedByItsThreadAndStaysBehindTheClock() throws Exception {
    CoarseTicker system = CoarseTicker.system();
    long first = system.read();
    assertThat(first).isLessThanOrEqualTo(CoarseTicker.toNanos(Instant.now()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (system.read() == first && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertThat(system.read()).as("refreshed by the shared thread").isGreaterThan(first);
    assertThat(system.read()).isLessThanOrEqualTo(CoarseTicker.toNanos(Instant.now()));
    assertThat(Thread.getAllStackTraces().keySet())
        .filteredOn(t -> t.getName().equals("reliability4j-idempotency-ticker"))
        .singleElement()
        .satisfies(t -> assertThat(t.isDaemon()).isTrue());
  }

  @Test
  void aStoreOnTheDefaultClockReplaysThroughTheSharedTicker() {
    InMemoryIdempotencyStore systemStore = InMemoryIdempotencyStore.create();
    ClaimResult.Acquired a = (ClaimResult.Acquired) systemStore.claim(key, FP, LEASE);
    assertThat(systemStore.complete(key, a.ownerToken(), StoredOutcome.ok("r"), RETENTION))
        .isTrue();
    assertThat(systemStore.claim(key, FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);
    assertThat(systemStore.claim(key, RequestFingerprint.sha256("x"), LEASE))
        .isInstanceOf(ClaimResult.Mismatch.class);
  }
}
