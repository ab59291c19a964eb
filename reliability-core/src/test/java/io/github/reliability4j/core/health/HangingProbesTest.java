package io.github.reliability4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Real threads, real time: hanging probes must not hang readers or leak evaluator threads. */
class HangingProbesTest {
  private static final String PREFIX = "reliability4j-health-hang-";

  private volatile boolean release;
  private final AtomicInteger interrupted = new AtomicInteger();
  private final AtomicInteger ignoredInterrupts = new AtomicInteger();

  @Test
  void fiftyProbesTenHangingReadinessReadsAtOnceAndThreadsStayBounded() throws Exception {
    int concurrency = 4;
    HealthChecker.Builder b =
        HealthChecker.builder()
            .name("hang")
            .config(
                HealthCheckerConfig.custom()
                    .concurrency(concurrency)
                    .interval(Duration.ofMillis(500))
                    .failingInterval(Duration.ofMillis(300))
                    .deadline(Duration.ofMillis(200))
                    .maxAge(Duration.ofSeconds(30))
                    .jitter(0)
                    .build());
    AtomicInteger[] healthyCalls = new AtomicInteger[40];
    for (int i = 0; i < 40; i++) {
      AtomicInteger calls = new AtomicInteger();
      healthyCalls[i] = calls;
      b.probe(
          ProbeRegistration.builder(
                  "ok-" + i,
                  ctx -> {
                    calls.incrementAndGet();
                    return ProbeResult.pass();
                  })
              // The deadline counts from when a probe starts, so queueing behind the hanging
              // probes for the four workers is not part of it. The generous deadline only keeps a
              // trivial probe from timing out when a loaded machine deschedules its thread while
              // it runs; the hanging probes below keep the short checker-wide one.
              .deadline(Duration.ofSeconds(10))
              .build());
    }
    CountDownLatch never = new CountDownLatch(1);
    for (int i = 0; i < 5; i++) {
      b.probe(
          ProbeRegistration.builder(
                  "hang-" + i,
                  ctx -> {
                    try {
                      never.await();
                    } catch (InterruptedException e) {
                      interrupted.incrementAndGet();
                      throw e;
                    }
                    return ProbeResult.pass();
                  })
              .build());
    }
    for (int i = 0; i < 5; i++) {
      b.probe(ProbeRegistration.builder("stubborn-" + i, ctx -> ignoreInterrupts()).build());
    }
    HealthChecker checker = b.build();
    try {
      checker.start();
      awaitTrue(
          () ->
              checker.snapshot().components().values().stream()
                  .noneMatch(c -> c.result().outcome() == ProbeResult.Outcome.PENDING),
          "every probe has a result");

      // Reading never waits for a probe, even while ten of them hang right now.
      HealthSnapshot snapshot =
          CompletableFuture.supplyAsync(checker::snapshot).get(30, TimeUnit.SECONDS);
      HealthReport readiness = snapshot.report(ProbeKind.READINESS);
      assertThat(readiness.status()).isEqualTo(HealthStatus.FAIL);
      assertThat(readiness.components()).hasSize(50);
      for (ComponentHealth c : snapshot.components().values()) {
        if (c.name().startsWith("ok-")) {
          assertThat(c.status()).as(c.name()).isEqualTo(HealthStatus.PASS);
        } else {
          assertThat(c.status()).as(c.name()).isEqualTo(HealthStatus.FAIL);
          assertThat(c.result().outcome()).as(c.name()).isEqualTo(ProbeResult.Outcome.TIMED_OUT);
        }
      }

      // Several more rounds: healthy probes keep being evaluated although five threads are stuck.
      int before = healthyCalls[39].get();
      awaitTrue(() -> healthyCalls[39].get() >= before + 3, "healthy probes keep running");
      awaitTrue(
          () -> checker.snapshot().component("stubborn-0").result().output().startsWith("hung:"),
          "a stubborn probe is reported hung instead of being started again");
      // Every timed-out evaluation had started (the deadline counts from the start), so each one
      // was interrupted; the probe counts it when it wakes up, so wait for all of them.
      awaitTrue(() -> interrupted.get() >= 5, "cancellation interrupts");
      awaitTrue(() -> ignoredInterrupts.get() >= 5, "stubborn probes were interrupted too");
      // Each probe holds at most one thread; interruptible ones give theirs back at once, so the
      // replacements settle at one per stubborn probe.
      awaitTrue(
          () -> ((DefaultHealthChecker) checker).pool().abandoned() == 5,
          "one replacement thread per stubborn probe");
      for (int i = 0; i < 20; i++) {
        assertThat(evaluatorThreads())
            .as("never more than concurrency + one thread per hanging probe")
            .isLessThanOrEqualTo(concurrency + 10);
        Thread.sleep(10);
      }
    } finally {
      checker.close();
    }
    // Interruptible probes are gone at once; stubborn ones keep their thread until they return.
    awaitTrue(() -> evaluatorThreads() <= 5, "only stubborn threads remain after close");
    release = true;
    awaitTrue(() -> evaluatorThreads() == 0, "no evaluator thread survives close");
    assertThat(checker.report(ProbeKind.LIVENESS).status()).isEqualTo(HealthStatus.FAIL);
  }

  @Test
  void closeInterruptsRunningProbesAndStopsAllThreads() throws Exception {
    CountDownLatch entered = new CountDownLatch(2);
    HealthChecker checker =
        HealthChecker.builder()
            .name("hang-close")
            .config(
                HealthCheckerConfig.custom()
                    .concurrency(2)
                    .deadline(Duration.ofSeconds(60))
                    .jitter(0)
                    .build())
            .probe(ProbeRegistration.builder("a", ctx -> blockUntilInterrupted(entered)).build())
            .probe(ProbeRegistration.builder("b", ctx -> blockUntilInterrupted(entered)).build())
            .build();
    checker.start();
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(evaluatorThreads("reliability4j-health-hang-close-")).isEqualTo(3);
    checker.close();
    awaitTrue(
        () -> evaluatorThreads("reliability4j-health-hang-close-") == 0,
        "pool and scheduler threads end on close");
    assertThat(interrupted.get()).isEqualTo(2);
  }

  @Test
  void concurrentEvaluateNowCallsShareOneRound() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    HealthChecker checker =
        HealthChecker.builder()
            .name("single-flight")
            .config(HealthCheckerConfig.custom().deadline(Duration.ofSeconds(60)).build())
            .probe(
                ProbeRegistration.builder(
                        "slow",
                        ctx -> {
                          calls.incrementAndGet();
                          release.await();
                          return ProbeResult.pass();
                        })
                    .build())
            .build();
    int threads = 16;
    java.util.concurrent.ExecutorService callers =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(threads);
      java.util.List<java.util.concurrent.Future<CompletableFuture<HealthSnapshot>>> futures =
          new java.util.ArrayList<>();
      for (int i = 0; i < threads; i++) {
        futures.add(
            callers.submit(
                () -> {
                  barrier.await();
                  return checker.evaluateNow();
                }));
      }
      java.util.Set<CompletableFuture<HealthSnapshot>> rounds =
          java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      for (var f : futures) {
        rounds.add(f.get(30, TimeUnit.SECONDS));
      }
      assertThat(rounds).as("one shared round").hasSize(1);
      awaitTrue(() -> calls.get() == 1, "the probe started");
      release.countDown();
      HealthSnapshot snapshot = rounds.iterator().next().get(30, TimeUnit.SECONDS);
      assertThat(snapshot.component("slow").status()).isEqualTo(HealthStatus.PASS);
      assertThat(calls).hasValue(1);
    } finally {
      release.countDown();
      callers.shutdownNow();
      checker.close();
    }
  }

  private ProbeResult blockUntilInterrupted(CountDownLatch entered) throws InterruptedException {
    entered.countDown();
    try {
      new CountDownLatch(1).await();
    } catch (InterruptedException e) {
      interrupted.incrementAndGet();
      throw e;
    }
    return ProbeResult.pass();
  }

  private ProbeResult ignoreInterrupts() {
    while (!release) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        ignoredInterrupts.incrementAndGet();
      }
    }
    return ProbeResult.pass();
  }

  private static long evaluatorThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith(PREFIX))
        .filter(t -> !t.getName().endsWith("-scheduler"))
        .count();
  }

  private static long evaluatorThreads(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith(prefix))
        .count();
  }

  private static void awaitTrue(BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20);
    }
  }
}
