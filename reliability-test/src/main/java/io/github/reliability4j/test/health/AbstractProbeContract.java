package io.github.reliability4j.test.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.reliability4j.core.health.ComponentHealth;
import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthCheckerConfig;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Probe} of the project passes, as stated in {@link Probe}'s Javadoc: a
 * healthy component passes with an observed value; a failing component yields {@code FAIL} (or the
 * probe's documented degraded status, {@link #failingStatus()}) through the evaluator with a
 * message that says why (the exception's message, for a probe that lets it propagate); a check
 * blocked in its component ends when its thread is interrupted and does not report {@code PASS};
 * the evaluator's deadline ends a blocked check with {@code TIMED_OUT} and its interrupt releases
 * the worker; a probe that bounds its I/O gives its component at most the evaluation's deadline.
 *
 * <p>A test class extends this with a fixture for one probe and its component: a real component
 * where one runs on the machine (a database, a Redis server, a circuit breaker), or a component
 * that can be made to fail or block on demand. Tests that need a capability the probe's component
 * does not have ({@link #makeHanging()}, {@link #timeoutGiven()}) are skipped for it. Waiting polls
 * with a deadline ({@link #deadline()}); nothing asserts a duration.
 */
public abstract class AbstractProbeContract {

  /** The probe under test, over the component this fixture controls; called once per test. */
  protected abstract Probe probe() throws Exception;

  /** Makes the component healthy. */
  protected abstract void makeHealthy() throws Exception;

  /**
   * Makes the component fail on the next checks.
   *
   * @return text the result's output must contain, e.g. the message of the exception the component
   *     now throws
   */
  protected abstract String makeFailing() throws Exception;

  /**
   * Makes the component block the next check until its thread is interrupted, if it can; returns
   * false if this probe never blocks (it reads in-memory state), which skips the blocking tests.
   */
  protected boolean makeHanging() throws Exception {
    return false;
  }

  /** Whether a check is blocked in the component now (after {@link #makeHanging()}). */
  protected boolean blockedInComponent() {
    return false;
  }

  /**
   * The timeout the last check gave the component's blocking call (a query or socket timeout), or
   * empty if the probe does no I/O, which skips the deadline test.
   */
  protected Optional<Duration> timeoutGiven() throws Exception {
    return Optional.empty();
  }

  /**
   * The status a failing component yields: {@code FAIL}, unless the probe degrades by design (a
   * circuit-breaker probe reports an open breaker as {@code WARN}).
   */
  protected HealthStatus failingStatus() {
    return HealthStatus.FAIL;
  }

  /** Whether a passing result carries an observed value. */
  protected boolean observesValue() {
    return true;
  }

  /** How long to wait for a check that should end before failing; generous for a loaded machine. */
  protected Duration deadline() {
    return Duration.ofSeconds(60);
  }

  private HealthChecker checker;
  private ExecutorService workers;

  @AfterEach
  void closeChecker() throws Exception {
    makeHealthy();
    if (checker != null) {
      checker.close();
    }
    if (workers != null) {
      workers.shutdownNow();
    }
  }

  private static ProbeContext context(Duration deadline) {
    return new ProbeContext("contract", Instant.now(), deadline);
  }

  /** Evaluates {@code probe} once through a real evaluator with the given deadline. */
  private ComponentHealth evaluate(Probe probe, Duration probeDeadline) {
    workers = Executors.newFixedThreadPool(1);
    checker =
        HealthChecker.builder()
            .config(HealthCheckerConfig.custom().jitter(0).build())
            .executor(workers)
            .probe(ProbeRegistration.builder("contract", probe).deadline(probeDeadline).build())
            .build();
    checker.evaluateNow().join();
    return checker.snapshot().component("contract");
  }

  private void await(BooleanSupplier condition, String what) {
    long end = System.nanoTime() + deadline().toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        throw new AssertionError(what + " did not happen by the deadline");
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void aHealthyComponentPasses() throws Exception {
    makeHealthy();
    ProbeResult result = probe().check(context(deadline()));
    assertThat(result).isNotNull();
    assertThat(result.status())
        .as("status; output: %s", result.output())
        .isEqualTo(HealthStatus.PASS);
    if (observesValue()) {
      assertThat(result.observedValue()).as("observed value").isNotNull();
    }
  }

  @Test
  void aHealthyComponentPassesThroughTheEvaluator() throws Exception {
    makeHealthy();
    ComponentHealth health = evaluate(probe(), deadline());
    assertThat(health.result().outcome()).isEqualTo(ProbeResult.Outcome.COMPLETED);
    assertThat(health.result().status()).isEqualTo(HealthStatus.PASS);
  }

  @Test
  void aFailingComponentFailsThroughTheEvaluatorWithTheMessage() throws Exception {
    Probe probe = probe();
    String expected = makeFailing();
    ComponentHealth health = evaluate(probe, deadline());
    ProbeResult result = health.result();
    assertThat(result.status())
        .as("status; output: %s", result.output())
        .isEqualTo(failingStatus());
    assertThat(result.outcome()).isIn(ProbeResult.Outcome.COMPLETED, ProbeResult.Outcome.THREW);
    assertThat(result.output()).as("output").contains(expected);
  }

  @Test
  void aFailingComponentNeverPassesWhenCheckedDirectly() throws Exception {
    Probe probe = probe();
    String expected = makeFailing();
    ProbeResult result;
    try {
      result = probe.check(context(deadline()));
    } catch (Exception e) {
      assertThat(String.valueOf(e.getMessage())).as("exception message").contains(expected);
      return;
    }
    assertThat(result).isNotNull();
    assertThat(result.status()).isNotEqualTo(HealthStatus.PASS);
    assertThat(result.output()).contains(expected);
  }

  @Test
  void aBlockedCheckEndsWhenItsThreadIsInterruptedAndDoesNotPass() throws Exception {
    Probe probe = probe();
    assumeTrue(makeHanging(), "this probe reads in-memory state and never blocks");
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread worker =
        new Thread(
            () -> {
              try {
                outcome.set(probe.check(context(deadline())));
              } catch (Throwable t) {
                outcome.set(t);
              }
            },
            "probe-contract-worker");
    worker.start();
    await(this::blockedInComponent, "the check blocking in the component");
    worker.interrupt();
    worker.join(deadline().toMillis());
    assertThat(worker.isAlive()).as("check still running after the interrupt").isFalse();
    Object ended = outcome.get();
    if (ended instanceof ProbeResult r) {
      assertThat(r.status()).as("an interrupted check passed").isNotEqualTo(HealthStatus.PASS);
    } else {
      assertThat(ended).as("how the check ended").isInstanceOf(Throwable.class);
    }
    // The recovered component is checked normally again.
    makeHealthy();
    assertThat(probe.check(context(deadline())).status()).isEqualTo(HealthStatus.PASS);
  }

  @Test
  void theEvaluatorsDeadlineEndsABlockedCheckAndReleasesTheWorker() throws Exception {
    Probe probe = probe();
    assumeTrue(makeHanging(), "this probe reads in-memory state and never blocks");
    ComponentHealth health = evaluate(probe, Duration.ofMillis(200));
    assertThat(health.result().outcome()).isEqualTo(ProbeResult.Outcome.TIMED_OUT);
    assertThat(health.result().status()).isEqualTo(HealthStatus.FAIL);
    await(() -> !blockedInComponent(), "the worker leaving the component after the interrupt");
    workers.shutdown();
    assertThat(workers.awaitTermination(deadline().toMillis(), TimeUnit.MILLISECONDS))
        .as("worker thread released")
        .isTrue();
  }

  @Test
  void theProbeGivesItsComponentAtMostTheDeadline() throws Exception {
    makeHealthy();
    Probe probe = probe();
    Duration evaluationDeadline = Duration.ofSeconds(3);
    assertThat(probe.check(context(evaluationDeadline)).status()).isEqualTo(HealthStatus.PASS);
    Optional<Duration> given = timeoutGiven();
    assumeTrue(given.isPresent(), "this probe does no I/O");
    assertThat(given.get()).isPositive().isLessThanOrEqualTo(evaluationDeadline);
  }
}
