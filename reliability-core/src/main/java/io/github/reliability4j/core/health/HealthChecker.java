package io.github.reliability4j.core.health;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.random.RandomGenerator;

/**
 * Evaluates registered probes in the background and serves their results from an immutable
 * snapshot, so reading health never waits on a dependency.
 *
 * <pre>{@code
 * HealthChecker health = HealthChecker.builder()
 *     .config(HealthCheckerConfig.custom().interval(Duration.ofSeconds(5)).build())
 *     .probe(ProbeRegistration.builder("primary-db", dbProbe).build())
 *     .probe(ProbeRegistration.builder("workers", poolProbe).internal()
 *         .kinds(ProbeKind.LIVENESS, ProbeKind.READINESS).weight(ProbeWeight.DEGRADING).build())
 *     .build();
 * health.start();
 * HealthReport readiness = health.report(ProbeKind.READINESS); // never blocks
 * }</pre>
 *
 * <h2>Guarantees</h2>
 *
 * <ul>
 *   <li>{@link #snapshot()} and {@link #report(ProbeKind)} never run or wait for a probe; they read
 *       the last published results. Each probe's entry is replaced atomically.
 *   <li>Each probe runs on its own schedule: {@code interval} after its previous evaluation ended
 *       while passing, {@code failingInterval} while not, each shortened by up to {@code jitter}.
 *   <li>Each evaluation has a deadline, counted from the moment the probe starts running on a
 *       worker. When it passes, the result is {@code FAIL} with outcome {@link
 *       ProbeResult.Outcome#TIMED_OUT} and the worker is interrupted. A probe that ignores the
 *       interrupt is not started again while it still runs; its entry reports it as hung.
 *   <li>Time spent waiting for a worker is not part of the deadline, so a saturated pool never
 *       makes a healthy probe report {@code TIMED_OUT}. While an evaluation waits, the probe keeps
 *       its previous result; it is not submitted again, and if it never gets a worker its result
 *       ages past {@code maxAge} and is reported {@code UNKNOWN} (see below).
 *   <li>Probes run on a bounded pool of {@link HealthCheckerConfig#concurrency()} daemon threads,
 *       plus one replacement thread per probe that ignored cancellation (so at most concurrency +
 *       number of probes), never on request threads.
 *   <li>A result older than its {@code maxAge} is reported {@code UNKNOWN} (outcome {@code STALE}):
 *       if the scheduler dies or the probe cannot get a worker, health degrades to UNKNOWN instead
 *       of reporting PASS forever.
 *   <li>Status changes pass through hysteresis: {@code failureThreshold} consecutive worse results
 *       to worsen, {@code recoveryThreshold} consecutive better results to improve (the first
 *       result is taken as is). Each change emits a {@link HealthTransitionEvent}.
 *   <li>{@link #evaluateNow()} is single-flight: concurrent callers share one evaluation round.
 * </ul>
 *
 * <p>Not guaranteed: that a probe's own blocking I/O stops at the deadline (pass the deadline to
 * socket and query timeouts); exact timing (delays depend on the scheduler).
 *
 * <p>Implementations are thread-safe.
 */
public interface HealthChecker extends AutoCloseable {

  static Builder builder() {
    return new Builder();
  }

  /**
   * Starts background evaluation; every probe is evaluated soon (within {@code jitter × interval}).
   * Calling it again has no effect.
   *
   * @throws IllegalStateException if the checker is closed
   */
  void start();

  /** Returns the current snapshot; never blocks on a probe. */
  HealthSnapshot snapshot();

  /** Returns the aggregate for {@code kind} from the current snapshot; never blocks on a probe. */
  default HealthReport report(ProbeKind kind) {
    return snapshot().report(kind);
  }

  /**
   * Evaluates every probe now (probes already being evaluated are not started twice) and completes
   * with the snapshot after all have completed or hit their deadlines. Deadlines count from when
   * each probe starts, so a round also waits for probes queued behind busy workers. Concurrent
   * calls share one round. The future completes on an evaluator or scheduler thread. If a probe
   * never gets a worker (an injected executor that never runs it), or the scheduler has died and a
   * probe never returns, the future never completes: wait with a timeout.
   */
  CompletableFuture<HealthSnapshot> evaluateNow();

  /** Signals that the application finished starting (needed if {@code requireStartupSignal}). */
  void markStartupComplete();

  /**
   * Enters {@link LifecycleState#DRAINING}: readiness reports {@code FAIL} from now on, liveness
   * keeps following its probes. Idempotent; has no effect once closed.
   */
  void drain();

  LifecycleState lifecycle();

  HealthCheckerConfig config();

  List<ProbeRegistration> registrations();

  List<ProbeGroup> groups();

  /**
   * Stops evaluation: cancels schedules, interrupts running probes, stops the internal threads. An
   * injected scheduler or executor is not shut down. Idempotent.
   */
  @Override
  void close();

  /** Builds a {@link HealthChecker}. Not thread-safe. */
  final class Builder {
    String name = "default";
    HealthCheckerConfig config = HealthCheckerConfig.ofDefaults();
    Clock clock = Clock.systemUTC();
    ScheduledExecutorService scheduler;
    Executor executor;
    RandomGenerator random;
    final List<ProbeRegistration> probes = new ArrayList<>();
    final List<ProbeGroup> groups = new ArrayList<>();
    final List<HealthListener> listeners = new ArrayList<>();

    private Builder() {}

    /** Names the checker; used in thread names ({@code reliability4j-health-<name>-<n>}). */
    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    public Builder config(HealthCheckerConfig config) {
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /** Sets the clock for result times, durations and staleness (default system UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets the scheduler for intervals and deadlines. It only schedules and never runs probe code,
     * so a single thread suffices. Not shut down by {@link #close()}. Default: an internal daemon
     * thread.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Sets the executor that runs probe bodies instead of the internal bounded pool. The caller
     * then owns its thread bound; cancellation still interrupts through {@code Future.cancel}.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** Sets the random source for jitter (default: a thread-safe generator). */
    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    public Builder probe(ProbeRegistration registration) {
      probes.add(Objects.requireNonNull(registration, "registration"));
      return this;
    }

    /**
     * Replaces every probe registered so far by {@code decorator}'s result (typically the same
     * registration with a wrapped probe, {@link ProbeRegistration#withProbe}), e.g. to time or
     * trace each evaluation. Probes registered after this call are not decorated.
     *
     * @param decorator called once per registration, on this thread; must not return null
     * @return this builder
     */
    public Builder decorateProbes(java.util.function.UnaryOperator<ProbeRegistration> decorator) {
      Objects.requireNonNull(decorator, "decorator");
      probes.replaceAll(r -> Objects.requireNonNull(decorator.apply(r), "decorated registration"));
      return this;
    }

    public Builder group(ProbeGroup group) {
      groups.add(Objects.requireNonNull(group, "group"));
      return this;
    }

    public Builder listener(HealthListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Validates the configuration and builds the checker (not yet started).
     *
     * @throws IllegalArgumentException if a name is registered twice, or a group names an unknown
     *     member or another group
     * @throws IllegalStateException if a probe's maxAge is not greater than its longest interval
     *     plus deadline, or a LIVENESS group has external members without override
     */
    public HealthChecker build() {
      return new DefaultHealthChecker(this);
    }
  }
}
