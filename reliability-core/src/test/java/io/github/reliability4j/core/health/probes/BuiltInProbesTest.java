package io.github.reliability4j.core.health.probes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class BuiltInProbesTest {
  private static final ProbeContext CTX =
      new ProbeContext("p", Instant.EPOCH, Duration.ofSeconds(1));

  @Test
  void threadPoolSaturationWarnsWhenBusyAndFailsWhenQueueFullOrRejecting() throws Exception {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(2, 2, 1, TimeUnit.MINUTES, new ArrayBlockingQueue<>(2));
    ThreadPoolSaturationProbe probe =
        ThreadPoolSaturationProbe.builder(pool).warnUtilization(1.0).countRejections().build();
    CountDownLatch release = new CountDownLatch(1);
    Runnable block =
        () -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    try {
      assertThat(probe.check(CTX).status()).isEqualTo(HealthStatus.PASS);
      pool.execute(block);
      await(() -> pool.getActiveCount() == 1);
      assertThat(probe.check(CTX).status()).isEqualTo(HealthStatus.PASS);
      pool.execute(block);
      await(() -> pool.getActiveCount() == 2);
      ProbeResult busy = probe.check(CTX);
      assertThat(busy.status()).isEqualTo(HealthStatus.WARN);
      assertThat(busy.observedValue()).isEqualTo(100.0);
      assertThat(busy.observedUnit()).isEqualTo("percent");
      assertThat(busy.details()).containsEntry("active", 2).containsEntry("maximumPoolSize", 2);

      pool.execute(block);
      pool.execute(block);
      ProbeResult full = probe.check(CTX);
      assertThat(full.status()).isEqualTo(HealthStatus.FAIL);
      assertThat(full.output()).contains("queue is full");

      assertThatThrownBy(() -> pool.execute(block)).isInstanceOf(RejectedExecutionException.class);
      ProbeResult rejected = probe.check(CTX);
      assertThat(rejected.status()).isEqualTo(HealthStatus.FAIL);
      assertThat(rejected.details()).containsEntry("rejectedSinceLastCheck", 1L);
      assertThat(probe.check(CTX).details()).containsEntry("rejectedSinceLastCheck", 0L);
    } finally {
      release.countDown();
      pool.shutdown();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(probe.check(CTX).status()).isEqualTo(HealthStatus.PASS);
  }

  @Test
  void threadPoolQueueDepthThresholds() {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            1, 1, 1, TimeUnit.MINUTES, new java.util.concurrent.LinkedBlockingQueue<>());
    CountDownLatch release = new CountDownLatch(1);
    try {
      ThreadPoolSaturationProbe probe =
          ThreadPoolSaturationProbe.builder(pool).warnQueueDepth(2).failQueueDepth(4).build();
      for (int i = 0; i < 3; i++) {
        pool.execute(
            () -> {
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
      }
      // 1 running (WARN by utilization 1.0 ≥ 0.9 default) and 2 queued
      assertThat(probe.check(CTX).status()).isEqualTo(HealthStatus.WARN);
      for (int i = 0; i < 2; i++) {
        pool.execute(() -> {});
      }
      assertThat(probe.check(CTX).status()).isEqualTo(HealthStatus.FAIL);
      assertThat(probe.check(CTX).output()).contains("failQueueDepth 4");
    } finally {
      release.countDown();
      pool.shutdown();
    }
    assertThatThrownBy(() -> ThreadPoolSaturationProbe.builder(pool).warnUtilization(0))
        .hasMessage("warnUtilization must be in (0, 1], but was 0.0");
  }

  @Test
  void circuitBreakerOpenIsWarnByDefault() {
    CircuitBreaker breaker = CircuitBreaker.of("payments", CircuitBreakerConfig.ofDefaults());
    CircuitBreakerProbe probe = CircuitBreakerProbe.of(breaker);
    assertThat(probe.check(CTX).status()).isEqualTo(HealthStatus.PASS);
    breaker.transitionToOpenState();
    ProbeResult open = probe.check(CTX);
    assertThat(open.status()).isEqualTo(HealthStatus.WARN);
    assertThat(open.output()).isEqualTo("circuit breaker 'payments' is OPEN");
    assertThat(open.details()).containsEntry("state", "OPEN");
    breaker.transitionToHalfOpenState();
    assertThat(probe.check(CTX).status()).isEqualTo(HealthStatus.WARN);
    breaker.transitionToClosedState();
    assertThat(probe.check(CTX).status()).isEqualTo(HealthStatus.PASS);

    CircuitBreakerProbe strict =
        CircuitBreakerProbe.builder(breaker)
            .map(CircuitBreaker.State.OPEN, HealthStatus.FAIL)
            .build();
    breaker.transitionToOpenState();
    assertThat(strict.check(CTX).status()).isEqualTo(HealthStatus.FAIL);
  }

  @Test
  void latencyObjective() {
    AtomicLong now = new AtomicLong();
    LatencyRecorder recorder = LatencyRecorder.create(Duration.ofSeconds(10), 10, now::get);
    LatencyObjectiveProbe probe =
        LatencyObjectiveProbe.builder(recorder, Duration.ofMillis(100))
            .percentile(0.99)
            .failAbove(Duration.ofMillis(500))
            .minSamples(10)
            .build();
    ProbeResult idle = probe.check(CTX);
    assertThat(idle.status()).isEqualTo(HealthStatus.PASS);
    assertThat(idle.output()).contains("not enough samples (0 < 10)");

    for (int i = 1; i <= 100; i++) {
      recorder.record(Duration.ofMillis(i / 2));
    }
    ProbeResult fast = probe.check(CTX);
    assertThat(fast.status()).isEqualTo(HealthStatus.PASS);
    assertThat((Double) fast.observedValue()).isBetween(49.0, 54.0);
    assertThat(fast.output()).startsWith("p99 ");

    for (int i = 0; i < 10; i++) {
      recorder.record(Duration.ofMillis(200));
    }
    assertThat(probe.check(CTX).status()).isEqualTo(HealthStatus.WARN);
    for (int i = 0; i < 20; i++) {
      recorder.record(Duration.ofSeconds(2));
    }
    assertThat(probe.check(CTX).status()).isEqualTo(HealthStatus.FAIL);

    now.addAndGet(Duration.ofSeconds(11).toNanos());
    assertThat(recorder.summary().count()).as("samples leave the window").isZero();
    assertThat(probe.check(CTX).status()).isEqualTo(HealthStatus.PASS);
    assertThatThrownBy(
            () ->
                LatencyObjectiveProbe.builder(recorder, Duration.ofMillis(100))
                    .failAbove(Duration.ofMillis(100))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("failAbove (PT0.1S) must be greater than objective (PT0.1S)");
  }

  @Test
  void latencyWindowSlidesSliceBySlice() {
    AtomicLong now = new AtomicLong();
    LatencyRecorder recorder = LatencyRecorder.create(Duration.ofSeconds(10), 10, now::get);
    recorder.record(Duration.ofMillis(1));
    now.addAndGet(Duration.ofSeconds(5).toNanos());
    recorder.record(Duration.ofMillis(1));
    assertThat(recorder.summary().count()).isEqualTo(2);
    now.addAndGet(Duration.ofSeconds(5).toNanos());
    assertThat(recorder.summary().count()).isEqualTo(1);
    now.addAndGet(Duration.ofSeconds(5).toNanos());
    assertThat(recorder.summary().count()).isZero();
  }

  @Test
  void reachabilityReportsLatencyAndFailures() throws Exception {
    AtomicLong now = new AtomicLong();
    ReachabilityProbe probe =
        ReachabilityProbe.builder(
                timeout -> {
                  now.addAndGet(Duration.ofMillis(30).toNanos());
                  return true;
                })
            .warnAbove(Duration.ofMillis(20))
            .failAbove(Duration.ofMillis(100))
            .ticker(now::get)
            .build();
    ProbeResult slow = probe.check(CTX);
    assertThat(slow.status()).isEqualTo(HealthStatus.WARN);
    assertThat(slow.observedValue()).isEqualTo(30.0);
    assertThat(slow.observedUnit()).isEqualTo("ms");

    assertThat(ReachabilityProbe.of(timeout -> false).check(CTX).status())
        .isEqualTo(HealthStatus.FAIL);
    assertThat(ReachabilityProbe.ofCallable(() -> "pong").check(CTX).status())
        .isEqualTo(HealthStatus.PASS);
    assertThatThrownBy(
            () ->
                ReachabilityProbe.ofCallable(
                        () -> {
                          throw new IOException("connection refused");
                        })
                    .check(CTX))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(
            () ->
                ReachabilityProbe.builder(t -> true)
                    .warnAbove(Duration.ofSeconds(1))
                    .failAbove(Duration.ofSeconds(1))
                    .build())
        .isInstanceOf(IllegalStateException.class);
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached");
      }
      Thread.sleep(10);
    }
  }
}
