package io.github.reliability4j.benchmarks.health;

import io.github.reliability4j.core.health.ComponentHealth;
import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthCheckerConfig;
import io.github.reliability4j.core.health.HealthReport;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/*
 * Group 4: what a readiness request costs the caller: HealthChecker.report(READINESS) on a started
 * checker whose probes have all been evaluated.
 *
 * - oneProbe: one passing probe (the baseline).
 * - fiftyProbesTenHanging: 40 passing probes and 10 that hang and ignore interrupts (they block
 *   until tear-down), so their entries report FAIL/TIMED_OUT and the evaluator keeps replacement
 *   threads for them. The background evaluation keeps running during the measurement, as in
 *   production (probe deadline 100 ms, otherwise default intervals).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
public class ReadinessReadBenchmark {

  abstract static class Checker {
    HealthChecker checker;
    final CountDownLatch release = new CountDownLatch(1);

    void start(int passing, int hanging) throws InterruptedException {
      HealthChecker.Builder builder =
          HealthChecker.builder()
              .name("bench")
              .config(HealthCheckerConfig.custom().deadline(Duration.ofMillis(100)).build());
      for (int i = 0; i < passing; i++) {
        builder.probe(ProbeRegistration.builder("ok-" + i, ctx -> ProbeResult.pass()).build());
      }
      for (int i = 0; i < hanging; i++) {
        builder.probe(
            ProbeRegistration.builder(
                    "hang-" + i,
                    ctx -> {
                      awaitIgnoringInterrupts(release);
                      return ProbeResult.pass();
                    })
                .build());
      }
      checker = builder.build();
      checker.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!allEvaluated(checker)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("probes not evaluated in 30 s: " + checker.snapshot());
        }
        Thread.sleep(10);
      }
    }

    void stop() {
      release.countDown();
      checker.close();
    }
  }

  static boolean allEvaluated(HealthChecker checker) {
    for (ComponentHealth c : checker.snapshot().components().values()) {
      if (c.result().outcome() == ProbeResult.Outcome.PENDING) {
        return false;
      }
    }
    return true;
  }

  static void awaitIgnoringInterrupts(CountDownLatch latch) {
    boolean interrupted = false;
    while (true) {
      try {
        latch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @State(Scope.Benchmark)
  public static class OneProbe extends Checker {
    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
      start(1, 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      stop();
    }
  }

  @State(Scope.Benchmark)
  public static class FiftyProbes extends Checker {
    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
      start(40, 10);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      stop();
    }
  }

  @Benchmark
  public HealthReport oneProbe(OneProbe state) {
    return state.checker.report(ProbeKind.READINESS);
  }

  @Benchmark
  public HealthReport fiftyProbesTenHanging(FiftyProbes state) {
    return state.checker.report(ProbeKind.READINESS);
  }
}
