package io.github.reliability4j.core.health;

import io.github.reliability4j.core.health.internal.EvaluatorPool;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design notes.
 *
 * Each probe has a Runner. A Runner has at most one evaluation ("Run") that is not yet settled;
 * a Run settles exactly once, either by the probe returning/throwing (FutureTask.done) or by its
 * deadline task on the scheduler, whichever wins the CAS on Run.settled. Settling records the
 * result (hysteresis under the Runner's lock), publishes the probe's new entry by a CAS on the
 * copy-on-write map `published`, and schedules the next evaluation. Reading health never takes a
 * Runner lock: snapshot() reads `published` once and applies staleness against the clock.
 *
 * The deadline counts from the moment the probe's body starts, not from submission: the worker
 * schedules the deadline task under the Run's lock before it marks the Run started and calls the
 * probe. Counting from submission would report healthy probes TIMED_OUT merely because they
 * waited behind others for a worker, i.e. it would report the evaluator's saturation as the
 * dependency's failure. A Run that waits for a worker therefore has no deadline yet; it stays the
 * Runner's current Run (so it is never submitted twice and the queue holds at most one task per
 * probe) and the probe's previous result is kept. If the worker never comes, that result ages
 * past maxAge and is reported UNKNOWN/STALE by view(): staleness, not the deadline, is what covers
 * an evaluator that cannot run a probe at all (saturated pool, injected executor that never runs
 * tasks, dead scheduler).
 *
 * A probe that ignores the interrupt keeps its worker thread. The Run then stays "body running"
 * (started && !finished); the Runner will not start the probe again while it does, and records a
 * hung result instead. For the internal pool, the deadline adds a replacement thread (grow) that
 * is removed when the body finally returns (shrink), so other probes keep running and the thread
 * count stays <= concurrency + number of probes.
 */
final class DefaultHealthChecker implements HealthChecker {
  private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

  private final HealthCheckerConfig config;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final Executor workers;
  private final EvaluatorPool pool;
  private final RandomGenerator random;
  private final List<Runner> runners = new ArrayList<>();
  private final List<ProbeRegistration> registrations;
  private final List<ProbeGroup> groups;
  private final List<HealthListener> listeners;
  private final AtomicReference<Map<String, ProbeState>> published;
  private final AtomicReferenceArray<CachedReport> reports =
      new AtomicReferenceArray<>(ProbeKind.values().length);
  private final AtomicReference<LifecycleState> lifecycle =
      new AtomicReference<>(LifecycleState.STARTING);
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile boolean startupSignal;
  private final Object flightLock = new Object();
  private CompletableFuture<HealthSnapshot> inFlight;

  DefaultHealthChecker(HealthChecker.Builder b) {
    this.config = b.config;
    this.clock = b.clock;
    this.registrations = List.copyOf(b.probes);
    this.groups = List.copyOf(b.groups);
    this.listeners = List.copyOf(b.listeners);
    Map<String, ProbeRegistration> byName = new HashMap<>();
    for (ProbeRegistration r : registrations) {
      if (byName.putIfAbsent(r.name(), r) != null) {
        throw new IllegalArgumentException(
            "probe name '" + r.name() + "' is registered twice; probe names must be unique");
      }
    }
    java.util.Set<String> groupNames = new java.util.HashSet<>();
    for (ProbeGroup g : groups) {
      if (byName.containsKey(g.name()) || !groupNames.add(g.name())) {
        throw new IllegalArgumentException(
            "group name '" + g.name() + "' is already registered as a probe or group");
      }
      boolean external = false;
      for (String member : g.members()) {
        ProbeRegistration r = byName.get(member);
        if (r == null) {
          throw new IllegalArgumentException(
              "group '"
                  + g.name()
                  + "' names unknown probe '"
                  + member
                  + "'; groups may only"
                  + " contain registered probes, known: "
                  + byName.keySet());
        }
        external |= r.external();
      }
      if (external && g.kinds().contains(ProbeKind.LIVENESS) && !g.allowExternalInLiveness()) {
        throw new IllegalStateException(
            "group '"
                + g.name()
                + "' counts in LIVENESS but has members that check external"
                + " dependencies; call allowExternalDependencyInLiveness() to override");
      }
    }
    if (b.executor != null) {
      this.workers = b.executor;
      this.pool = null;
    } else {
      this.pool = new EvaluatorPool("reliability4j-health-" + b.name, config.concurrency());
      this.workers = pool;
    }
    if (b.scheduler != null) {
      this.scheduler = b.scheduler;
      this.ownsScheduler = false;
    } else {
      this.scheduler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "reliability4j-health-" + b.name + "-scheduler");
                t.setDaemon(true);
                return t;
              });
      this.ownsScheduler = true;
    }
    this.random = b.random != null ? b.random : new java.util.SplittableRandom();
    Map<String, ProbeState> initial = new LinkedHashMap<>();
    Instant now = clock.instant();
    for (ProbeRegistration r : registrations) {
      Runner runner = new Runner(r);
      runners.add(runner);
      initial.put(
          r.name(),
          new ProbeState(
              HealthStatus.UNKNOWN,
              ProbeResult.builder(HealthStatus.UNKNOWN)
                  .outcome(ProbeResult.Outcome.PENDING)
                  .output("not evaluated yet")
                  .build(),
              null,
              now));
    }
    this.published = new AtomicReference<>(Collections.unmodifiableMap(initial));
  }

  @Override
  public void start() {
    if (lifecycle.get() == LifecycleState.CLOSED) {
      throw new IllegalStateException("health checker is closed");
    }
    if (!started.compareAndSet(false, true)) {
      return;
    }
    for (Runner runner : runners) {
      runner.scheduleFirst();
    }
  }

  @Override
  public HealthSnapshot snapshot() {
    Instant now = clock.instant();
    Map<String, ComponentHealth> components = components(published.get(), now);
    LifecycleState state = lifecycle.get();
    boolean signalMissing = config.requireStartupSignal() && !startupSignal;
    if (state == LifecycleState.STARTING && !signalMissing) {
      HealthStatus startup = HealthStatus.PASS;
      for (ComponentHealth c : components.values()) {
        if (c.kinds().contains(ProbeKind.STARTUP)) {
          startup = startup.worst(c.contribution());
        }
      }
      if (startup.isAvailable() && transition(LifecycleState.STARTING, LifecycleState.RUNNING)) {
        state = LifecycleState.RUNNING;
      } else {
        state = lifecycle.get();
      }
    }
    return new HealthSnapshot(components, state, signalMissing, now);
  }

  private Map<String, ComponentHealth> components(Map<String, ProbeState> states, Instant now) {
    Map<String, ComponentHealth> components = new LinkedHashMap<>();
    for (Runner runner : runners) {
      components.put(runner.reg.name(), runner.view(states.get(runner.reg.name()), now));
    }
    for (ProbeGroup g : groups) {
      components.put(g.name(), groupView(g, components));
    }
    return components;
  }

  /*
   * Reads are served from a per-kind cache so that their cost does not grow with the number of
   * probes. An entry is valid for the published map it was computed from (identity: every publish
   * replaces the map), the lifecycle state it saw, and the interval [computedAt, freshUntil] in
   * which no included-or-not probe result crosses its maxAge. Outside it the report is recomputed,
   * so staleness is as exact as without the cache. While STARTING the uncached path runs, because
   * reading may latch the transition to RUNNING.
   */
  @Override
  public HealthReport report(ProbeKind kind) {
    Objects.requireNonNull(kind, "kind");
    Instant now = clock.instant();
    Map<String, ProbeState> states = published.get();
    LifecycleState state = lifecycle.get();
    if (state == LifecycleState.STARTING) {
      return snapshot().report(kind);
    }
    CachedReport cached = reports.get(kind.ordinal());
    if (cached == null || !cached.validFor(states, state, now)) {
      HealthReport report =
          new HealthSnapshot(components(states, now), state, false, now).report(kind);
      cached = new CachedReport(states, state, now, freshUntil(states, now), report);
      reports.set(kind.ordinal(), cached);
    }
    HealthReport r = cached.report();
    return r.time().equals(now)
        ? r
        : new HealthReport(r.kind(), r.status(), r.output(), r.components(), r.lifecycle(), now);
  }

  /**
   * Returns the last instant at which every result in {@code states} that is fresh at {@code now}
   * is still fresh. Results already stale stay stale until a new result is published.
   */
  private Instant freshUntil(Map<String, ProbeState> states, Instant now) {
    Instant until = Instant.MAX;
    for (Runner runner : runners) {
      Instant staleAfter = runner.staleAfter(states.get(runner.reg.name()));
      if (!now.isAfter(staleAfter) && staleAfter.isBefore(until)) {
        until = staleAfter;
      }
    }
    return until;
  }

  private ComponentHealth groupView(ProbeGroup g, Map<String, ComponentHealth> components) {
    List<HealthStatus> statuses = new ArrayList<>();
    int available = 0;
    Instant time = null;
    for (String member : g.members()) {
      ComponentHealth c = components.get(member);
      statuses.add(c.status());
      if (c.status().isAvailable()) {
        available++;
      }
      Instant t = c.result().time();
      if (t != null && (time == null || t.isAfter(time))) {
        time = t;
      }
    }
    HealthStatus status = g.aggregate(statuses);
    ProbeResult.Builder result =
        ProbeResult.builder(status)
            .observed(available, "count")
            .output(
                available
                    + " of "
                    + g.members().size()
                    + " members available, "
                    + g.required()
                    + " required")
            .time(time);
    return new ComponentHealth(
        g.name(),
        g.measurement(),
        g.componentType(),
        g.kinds(),
        g.weight(),
        status,
        result.build(),
        null,
        g.members());
  }

  @Override
  public CompletableFuture<HealthSnapshot> evaluateNow() {
    CompletableFuture<HealthSnapshot> round;
    synchronized (flightLock) {
      if (inFlight != null) {
        return inFlight;
      }
      round = new CompletableFuture<>();
      inFlight = round;
    }
    List<CompletableFuture<Void>> runs = new ArrayList<>();
    for (Runner runner : runners) {
      runs.add(runner.launch());
    }
    CompletableFuture.allOf(runs.toArray(new CompletableFuture<?>[0]))
        .whenComplete(
            (v, e) -> {
              synchronized (flightLock) {
                if (inFlight == round) {
                  inFlight = null;
                }
              }
              round.complete(snapshot());
            });
    return round;
  }

  @Override
  public void markStartupComplete() {
    startupSignal = true;
  }

  @Override
  public void drain() {
    LifecycleState current;
    do {
      current = lifecycle.get();
      if (current == LifecycleState.DRAINING || current == LifecycleState.CLOSED) {
        return;
      }
    } while (!transition(current, LifecycleState.DRAINING));
  }

  @Override
  public LifecycleState lifecycle() {
    return lifecycle.get();
  }

  @Override
  public HealthCheckerConfig config() {
    return config;
  }

  @Override
  public List<ProbeRegistration> registrations() {
    return registrations;
  }

  @Override
  public List<ProbeGroup> groups() {
    return groups;
  }

  @Override
  public void close() {
    LifecycleState current;
    do {
      current = lifecycle.get();
      if (current == LifecycleState.CLOSED) {
        return;
      }
    } while (!transition(current, LifecycleState.CLOSED));
    for (Runner runner : runners) {
      runner.stop();
    }
    if (pool != null) {
      pool.shutdownNow();
    }
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
  }

  /** Exposed for tests: the internal pool, or null when an executor was injected. */
  EvaluatorPool pool() {
    return pool;
  }

  private boolean transition(LifecycleState from, LifecycleState to) {
    if (!lifecycle.compareAndSet(from, to)) {
      return false;
    }
    for (HealthListener l : listeners) {
      try {
        l.onLifecycle(from, to);
      } catch (RuntimeException e) {
        log.warn("health listener {} threw on lifecycle {} -> {}", l, from, to, e);
      }
    }
    return true;
  }

  private void fire(HealthTransitionEvent event) {
    if (event == null) {
      return;
    }
    for (HealthListener l : listeners) {
      try {
        l.onTransition(event);
      } catch (RuntimeException e) {
        log.warn("health listener {} threw on {}", l, event, e);
      }
    }
  }

  private void publish(String name, ProbeState state) {
    published.updateAndGet(
        m -> {
          Map<String, ProbeState> copy = new LinkedHashMap<>(m);
          copy.put(name, state);
          return Collections.unmodifiableMap(copy);
        });
  }

  private static String describe(Throwable t) {
    String message = t.getMessage();
    return t.getClass().getName() + (message == null ? "" : ": " + message);
  }

  /** What is published for one probe: the reported status and the latest raw result. */
  private record ProbeState(
      HealthStatus status, ProbeResult latest, Instant since, Instant registeredAt) {}

  /** A report valid for one published map and lifecycle state within [computedAt, freshUntil]. */
  private record CachedReport(
      Map<String, ProbeState> states,
      LifecycleState lifecycle,
      Instant computedAt,
      Instant freshUntil,
      HealthReport report) {

    boolean validFor(Map<String, ProbeState> states, LifecycleState lifecycle, Instant now) {
      return this.states == states
          && this.lifecycle == lifecycle
          && !now.isBefore(computedAt)
          && !now.isAfter(freshUntil);
    }
  }

  /** One evaluation of one probe. */
  private static final class Run {
    final Instant queuedAt;
    final AtomicBoolean settled = new AtomicBoolean();
    final CompletableFuture<Void> done = new CompletableFuture<>();
    volatile FutureTask<ProbeResult> task;
    volatile ScheduledFuture<?> deadlineTask;
    // When the body started (the deadline counts from here); null while waiting for a worker.
    // Written under `this` before `started` is set.
    volatile Instant startedAt;
    // Guarded by `this`.
    boolean started;
    boolean finished;
    boolean timedOut;
    boolean grew;

    Run(Instant queuedAt) {
      this.queuedAt = queuedAt;
    }

    /** Returns when the body started, or when the run was queued if it never started. */
    Instant since() {
      Instant s = startedAt;
      return s != null ? s : queuedAt;
    }

    synchronized boolean bodyRunning() {
      return started && !finished;
    }
  }

  private final class Runner {
    final ProbeRegistration reg;
    final Duration interval;
    final Duration failingInterval;
    final Duration deadline;
    final Duration maxAge;
    final double jitter;
    final int failureThreshold;
    final int recoveryThreshold;
    // Guarded by `this`.
    private HealthStatus effective = HealthStatus.UNKNOWN;
    private boolean first = true;
    private boolean streakWorse;
    private int streak;
    private Instant since;
    private ScheduledFuture<?> nextTick;
    private Run current;
    private Run lastRun;
    private boolean stopped;

    Runner(ProbeRegistration reg) {
      this.reg = reg;
      this.interval = reg.interval().orElse(config.interval());
      this.failingInterval = reg.failingInterval().orElse(config.failingInterval());
      this.deadline = reg.deadline().orElse(config.deadline());
      this.jitter = reg.jitter().orElse(config.jitter());
      this.failureThreshold = reg.failureThreshold().orElse(config.failureThreshold());
      this.recoveryThreshold = reg.recoveryThreshold().orElse(config.recoveryThreshold());
      Duration longest = interval.compareTo(failingInterval) >= 0 ? interval : failingInterval;
      Duration minAge = longest.plus(deadline);
      this.maxAge = reg.maxAge().or(() -> config.maxAge()).orElse(minAge.multipliedBy(3));
      if (maxAge.compareTo(minAge) <= 0) {
        throw new IllegalStateException(
            "maxAge ("
                + maxAge
                + ") of probe '"
                + reg.name()
                + "' must be greater than its longest interval ("
                + longest
                + ") plus its deadline ("
                + deadline
                + "), or its results would go stale between evaluations");
      }
    }

    /** Returns the last instant at which {@code state}'s result is not yet stale. */
    Instant staleAfter(ProbeState state) {
      ProbeResult result = state.latest();
      Instant reference = result.time() != null ? result.time() : state.registeredAt();
      try {
        return reference.plus(maxAge);
      } catch (java.time.DateTimeException | ArithmeticException e) {
        return Instant.MAX;
      }
    }

    ComponentHealth view(ProbeState state, Instant now) {
      HealthStatus status = state.status();
      ProbeResult result = state.latest();
      Instant reference = result.time() != null ? result.time() : state.registeredAt();
      Duration age = Duration.between(reference, now);
      if (age.compareTo(maxAge) > 0) {
        status = HealthStatus.UNKNOWN;
        result =
            result.toBuilder()
                .status(HealthStatus.UNKNOWN)
                .outcome(ProbeResult.Outcome.STALE)
                .output(
                    "stale: "
                        + (result.time() == null
                            ? "never evaluated"
                            : "last result from " + reference)
                        + " is older than maxAge "
                        + maxAge
                        + (result.output() == null ? "" : " (was: " + result.output() + ")"))
                .build();
      }
      return new ComponentHealth(
          reg.name(),
          reg.measurement(),
          reg.componentType(),
          reg.kinds(),
          reg.weight(),
          status,
          result,
          state.since(),
          List.of());
    }

    void scheduleFirst() {
      synchronized (this) {
        long bound = (long) (interval.toNanos() * jitter);
        long delay = bound <= 0 ? 0 : random.nextLong(bound + 1);
        scheduleLocked(delay);
      }
    }

    private void scheduleLocked(long delayNanos) {
      if (stopped || !started.get() || current != null) {
        return;
      }
      if (nextTick != null) {
        nextTick.cancel(false);
      }
      try {
        nextTick = scheduler.schedule(this::tick, delayNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        // The scheduler is gone: results will age into UNKNOWN, which is the truthful report.
        log.warn("health scheduler rejected probe '{}'; its result will become stale", reg.name());
      }
    }

    private void scheduleNextLocked(HealthStatus latest) {
      Duration base = latest == HealthStatus.PASS ? interval : failingInterval;
      long nanos = base.toNanos();
      if (jitter > 0) {
        nanos -= (long) (nanos * jitter * random.nextDouble());
      }
      scheduleLocked(nanos);
    }

    private void tick() {
      launch();
    }

    CompletableFuture<Void> launch() {
      Run run;
      HealthTransitionEvent event = null;
      synchronized (this) {
        if (stopped) {
          return CompletableFuture.completedFuture(null);
        }
        if (current != null) {
          return current.done;
        }
        if (nextTick != null) {
          nextTick.cancel(false);
          nextTick = null;
        }
        Instant now = clock.instant();
        if (lastRun != null && lastRun.bodyRunning()) {
          ProbeResult hung =
              ProbeResult.builder(HealthStatus.FAIL)
                  .outcome(ProbeResult.Outcome.TIMED_OUT)
                  .output(
                      "hung: the evaluation started at "
                          + lastRun.startedAt
                          + " ignored cancellation at its deadline ("
                          + deadline
                          + ") and is still running; not started again")
                  .time(now)
                  .duration(Duration.between(lastRun.startedAt, now))
                  .build();
          event = recordLocked(hung);
          scheduleNextLocked(hung.status());
          run = null;
        } else {
          run = new Run(now);
          current = run;
          lastRun = run;
        }
      }
      if (run == null) {
        fire(event);
        return CompletableFuture.completedFuture(null);
      }
      start(run);
      return run.done;
    }

    private void start(Run run) {
      FutureTask<ProbeResult> task =
          new FutureTask<>(() -> invoke(run)) {
            @Override
            protected void done() {
              onDone(run, this);
            }
          };
      run.task = task;
      // No deadline yet: it starts with the body (see invoke). Until then the previous result
      // stands and ages towards maxAge.
      try {
        workers.execute(task);
      } catch (RejectedExecutionException e) {
        settle(run, rejected("the health executor rejected the evaluation: " + e.getMessage()));
      }
    }

    private ProbeResult.Builder rejected(String output) {
      return ProbeResult.builder(HealthStatus.FAIL)
          .outcome(ProbeResult.Outcome.REJECTED)
          .output(output);
    }

    private ProbeResult invoke(Run run) throws Exception {
      Instant startedAt;
      boolean scheduled;
      synchronized (run) {
        if (run.settled.get()) {
          // Settled while queued (the checker was closed): there is nothing left to report to.
          throw new CancellationException("the evaluation was settled before the probe started");
        }
        startedAt = clock.instant();
        run.startedAt = startedAt;
        // Scheduled under the Run's lock and before `started` is set, so onDeadline always sees
        // a started Run and the deadline covers the whole body, and nothing but the body.
        try {
          run.deadlineTask =
              scheduler.schedule(() -> onDeadline(run), deadline.toNanos(), TimeUnit.NANOSECONDS);
          scheduled = true;
        } catch (RejectedExecutionException e) {
          scheduled = false;
        }
        run.started = scheduled;
      }
      if (!scheduled) {
        // Without a deadline nothing could stop a hanging body: do not start it.
        settle(run, rejected("the health scheduler rejected the deadline task"));
        throw new CancellationException("no deadline could be scheduled; the probe was not run");
      }
      try {
        return reg.probe().check(new ProbeContext(reg.name(), startedAt, deadline));
      } finally {
        synchronized (run) {
          run.finished = true;
          if (run.grew) {
            pool.shrink();
          }
        }
      }
    }

    private void onDone(Run run, FutureTask<ProbeResult> task) {
      if (task.isCancelled()) {
        return;
      }
      synchronized (run) {
        if (run.timedOut) {
          // The deadline has claimed this run; its TIMED_OUT result must win over whatever the
          // body produced if it completed between the deadline and the cancel.
          return;
        }
      }
      ProbeResult.Builder result;
      try {
        ProbeResult r = task.get();
        result =
            r == null
                ? ProbeResult.builder(HealthStatus.FAIL).output("probe returned null")
                : r.toBuilder().outcome(ProbeResult.Outcome.COMPLETED).error(null);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        result =
            ProbeResult.builder(HealthStatus.FAIL)
                .outcome(ProbeResult.Outcome.THREW)
                .output(describe(cause))
                .error(cause);
      } catch (InterruptedException | CancellationException e) {
        return;
      }
      settle(run, result);
    }

    private void onDeadline(Run run) {
      synchronized (run) {
        if (run.settled.get()) {
          return;
        }
        // The deadline task exists only once the body has started (invoke), so `started` holds.
        run.timedOut = true;
        if (pool != null && !run.finished) {
          run.grew = true;
          pool.grow();
        }
      }
      settle(
          run,
          ProbeResult.builder(HealthStatus.FAIL)
              .outcome(ProbeResult.Outcome.TIMED_OUT)
              .output("timed out: no result within the deadline of " + deadline));
      run.task.cancel(true);
    }

    private void settle(Run run, ProbeResult.Builder result) {
      if (!run.settled.compareAndSet(false, true)) {
        return;
      }
      ScheduledFuture<?> deadlineTask = run.deadlineTask;
      if (deadlineTask != null) {
        deadlineTask.cancel(false);
      }
      Instant now = clock.instant();
      ProbeResult stamped = result.time(now).duration(Duration.between(run.since(), now)).build();
      HealthTransitionEvent event;
      synchronized (this) {
        event = recordLocked(stamped);
        if (current == run) {
          current = null;
        }
        scheduleNextLocked(stamped.status());
      }
      run.done.complete(null);
      fire(event);
    }

    private HealthTransitionEvent recordLocked(ProbeResult result) {
      if (stopped) {
        return null;
      }
      HealthStatus raw = result.status();
      HealthStatus previous = effective;
      String reason = null;
      if (first) {
        first = false;
        effective = raw;
        reason = "first result";
      } else if (raw == effective) {
        streak = 0;
      } else {
        boolean worse = raw.isWorseThan(effective);
        if (streak == 0 || streakWorse != worse) {
          streakWorse = worse;
          streak = 0;
        }
        streak++;
        int threshold = worse ? failureThreshold : recoveryThreshold;
        if (streak >= threshold) {
          effective = raw;
          reason =
              streak
                  + " consecutive "
                  + (worse ? "worse" : "better")
                  + " result(s) (threshold "
                  + threshold
                  + ")";
          streak = 0;
        }
      }
      HealthTransitionEvent event = null;
      if (effective != previous) {
        since = result.time();
        String detail = result.output() != null ? result.output() : result.outcome().toString();
        event =
            new HealthTransitionEvent(
                reg.name(), previous, effective, reason + ": " + detail, result, result.time());
      }
      publish(reg.name(), new ProbeState(effective, result, since, result.time()));
      return event;
    }

    void stop() {
      Run run;
      synchronized (this) {
        stopped = true;
        if (nextTick != null) {
          nextTick.cancel(false);
        }
        run = current;
      }
      if (run != null) {
        ScheduledFuture<?> deadlineTask = run.deadlineTask;
        if (deadlineTask != null) {
          deadlineTask.cancel(false);
        }
        FutureTask<ProbeResult> task = run.task;
        if (task != null) {
          task.cancel(true);
        }
        if (run.settled.compareAndSet(false, true)) {
          run.done.complete(null);
        }
      }
    }
  }
}
