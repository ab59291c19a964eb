package io.github.reliability4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-kind report cache must never serve what an uncached read would not. */
class ReportCacheTest {
  private static final Executor DIRECT = Runnable::run;

  private final FakeClock clock = new FakeClock();
  private final FakeScheduler scheduler = new FakeScheduler(clock);
  private final ScriptedProbe fast = new ScriptedProbe();
  private final ScriptedProbe slow = new ScriptedProbe();
  private HealthChecker checker;

  private HealthChecker started() {
    checker =
        HealthChecker.builder()
            .config(
                HealthCheckerConfig.custom()
                    .interval(Duration.ofSeconds(10))
                    .failingInterval(Duration.ofSeconds(2))
                    .deadline(Duration.ofSeconds(1))
                    .jitter(0)
                    .failureThreshold(1)
                    .recoveryThreshold(1)
                    .build())
            .clock(clock)
            .scheduler(scheduler)
            .executor(DIRECT)
            .probe(ProbeRegistration.builder("fast", fast).maxAge(Duration.ofSeconds(30)).build())
            .probe(ProbeRegistration.builder("slow", slow).maxAge(Duration.ofSeconds(60)).build())
            .build();
    checker.start();
    scheduler.runDue();
    return checker;
  }

  @AfterEach
  void close() {
    if (checker != null) {
      checker.close();
    }
  }

  private static List<String> view(HealthReport r) {
    return r.components().stream()
        .map(c -> c.name() + "=" + c.status() + "/" + c.result().outcome())
        .toList();
  }

  private void assertSameAsUncached(ProbeKind kind) {
    HealthReport cached = checker.report(kind);
    HealthReport uncached = checker.snapshot().report(kind);
    assertThat(cached.status()).as("%s at %s", kind, clock.instant()).isEqualTo(uncached.status());
    assertThat(cached.output()).isEqualTo(uncached.output());
    assertThat(view(cached)).isEqualTo(view(uncached));
    assertThat(cached.time()).isEqualTo(clock.instant());
  }

  @Test
  void aCachedPassIsNeverServedPastAnyIncludedResultsMaxAge() {
    started();
    assertThat(checker.report(ProbeKind.READINESS).lifecycle())
        .as("the first read latches RUNNING; reads while STARTING are not cached")
        .isEqualTo(LifecycleState.RUNNING);
    HealthReport first = checker.report(ProbeKind.READINESS);
    assertThat(first.status()).isEqualTo(HealthStatus.PASS);
    scheduler.kill();

    clock.advance(Duration.ofSeconds(30));
    HealthReport atLimit = checker.report(ProbeKind.READINESS);
    assertThat(atLimit.status()).isEqualTo(HealthStatus.PASS);
    assertThat(atLimit.components()).as("served from the cache").isSameAs(first.components());

    clock.advance(Duration.ofMillis(1));
    HealthReport past = checker.report(ProbeKind.READINESS);
    assertThat(past.status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(view(past)).containsExactly("fast=UNKNOWN/STALE", "slow=PASS/COMPLETED");

    clock.advance(Duration.ofSeconds(30));
    assertThat(view(checker.report(ProbeKind.READINESS)))
        .containsExactly("fast=UNKNOWN/STALE", "slow=UNKNOWN/STALE");
    assertThat(checker.report(ProbeKind.LIVENESS).components()).isEmpty();
  }

  @Test
  void aNewlyPublishedResultIsSeenByTheNextRead() {
    started();
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.PASS);
    fast.set(HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(view(checker.report(ProbeKind.READINESS)))
        .containsExactly("fast=FAIL/COMPLETED", "slow=PASS/COMPLETED");
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.FAIL);
    fast.set(HealthStatus.PASS);
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.PASS);
  }

  @Test
  void aLifecycleChangeIsSeenByTheNextRead() {
    started();
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.PASS);
    checker.drain();
    HealthReport draining = checker.report(ProbeKind.READINESS);
    assertThat(draining.status()).isEqualTo(HealthStatus.FAIL);
    assertThat(draining.output()).isEqualTo("draining");
    checker.close();
    assertThat(checker.report(ProbeKind.LIVENESS).status()).isEqualTo(HealthStatus.FAIL);
    assertThat(checker.report(ProbeKind.READINESS).output()).isEqualTo("health checker is closed");
  }

  @Test
  void readsMatchTheUncachedReportWhateverTheClockDoes() {
    started();
    Instant start = clock.instant();
    long[] offsetsMillis = {0, 29_999, 30_000, 30_001, 5_000, 60_000, 60_001, 61_000, 10, 90_000};
    for (int round = 0; round < 2; round++) {
      for (long offset : offsetsMillis) {
        clock.set(start.plusMillis(offset));
        for (ProbeKind kind : ProbeKind.values()) {
          assertSameAsUncached(kind);
        }
      }
      scheduler.kill();
    }
  }
}
