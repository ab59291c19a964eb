package io.github.reliability4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HealthCheckerTest {
  private static final Executor DIRECT = Runnable::run;

  private final FakeClock clock = new FakeClock();
  private final FakeScheduler scheduler = new FakeScheduler(clock);
  private final List<HealthTransitionEvent> events =
      Collections.synchronizedList(new ArrayList<>());
  private final List<String> lifecycleEvents = Collections.synchronizedList(new ArrayList<>());
  private HealthChecker checker;

  private final HealthListener recorder =
      new HealthListener() {
        @Override
        public void onTransition(HealthTransitionEvent event) {
          events.add(event);
        }

        @Override
        public void onLifecycle(LifecycleState from, LifecycleState to) {
          lifecycleEvents.add(from + "->" + to);
        }
      };

  private HealthCheckerConfig.Builder config() {
    return HealthCheckerConfig.custom()
        .interval(Duration.ofSeconds(10))
        .failingInterval(Duration.ofSeconds(2))
        .deadline(Duration.ofSeconds(1))
        .jitter(0)
        .failureThreshold(1)
        .recoveryThreshold(1);
  }

  private HealthChecker.Builder builder(HealthCheckerConfig config, Executor executor) {
    return HealthChecker.builder()
        .config(config)
        .clock(clock)
        .scheduler(scheduler)
        .executor(executor)
        .listener(recorder);
  }

  private HealthChecker started(HealthChecker.Builder b) {
    checker = b.build();
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

  @Test
  void probesRunOnTheirIntervalAndFasterWhileFailing() {
    ScriptedProbe probe = new ScriptedProbe();
    started(
        builder(config().build(), DIRECT).probe(ProbeRegistration.builder("db", probe).build()));
    assertThat(probe.calls).hasValue(1);
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofSeconds(10));

    scheduler.advance(Duration.ofMillis(9999));
    assertThat(probe.calls).hasValue(1);
    scheduler.advance(Duration.ofMillis(1));
    assertThat(probe.calls).hasValue(2);

    probe.set(HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(probe.calls).hasValue(3);
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofSeconds(2));
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(probe.calls).hasValue(4);

    probe.set(HealthStatus.WARN);
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(scheduler.pendingDelays())
        .as("WARN is not passing: re-check fast")
        .containsExactly(Duration.ofSeconds(2));
    probe.set(HealthStatus.PASS);
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofSeconds(10));
  }

  @Test
  void jitterShortensDelaysWithinTheConfiguredFraction() {
    List<ScriptedProbe> probes = new ArrayList<>();
    HealthChecker.Builder b =
        builder(config().jitter(0.5).build(), DIRECT).random(new SplittableRandom(42));
    for (int i = 0; i < 20; i++) {
      ScriptedProbe p = new ScriptedProbe();
      probes.add(p);
      b.probe(ProbeRegistration.builder("p" + i, p).build());
    }
    checker = b.build();
    checker.start();
    List<Duration> initial = scheduler.pendingDelays();
    assertThat(initial)
        .hasSize(20)
        .allSatisfy(d -> assertThat(d).isBetween(Duration.ZERO, Duration.ofSeconds(5)));
    assertThat(initial.stream().distinct().count()).as("initial runs are spread").isGreaterThan(10);

    scheduler.advance(Duration.ofSeconds(5));
    assertThat(probes).allSatisfy(p -> assertThat(p.calls).hasValue(1));
    checker.close();

    // One probe: every delay after a run is the interval shortened by at most 50%.
    ScriptedProbe single = new ScriptedProbe();
    FakeScheduler own = new FakeScheduler(clock);
    checker =
        HealthChecker.builder()
            .config(config().jitter(0.5).build())
            .clock(clock)
            .scheduler(own)
            .executor(DIRECT)
            .random(new SplittableRandom(7))
            .probe(ProbeRegistration.builder("single", single).build())
            .build();
    checker.start();
    List<Duration> delays = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      own.advance(own.pendingDelays().get(0));
      delays.add(own.pendingDelays().get(0));
    }
    assertThat(single.calls).hasValue(50);
    assertThat(delays)
        .allSatisfy(d -> assertThat(d).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(10)));
    assertThat(delays.stream().distinct().count()).isGreaterThan(25);
  }

  @Test
  void theDeadlineCountsFromWhenTheProbeStartsAndCancelsItWhenItPasses() {
    ManualExecutor executor = new ManualExecutor();
    BusyProbe probe = new BusyProbe(scheduler, Duration.ofMillis(1500));
    started(
        builder(config().build(), executor)
            .probe(ProbeRegistration.builder("slow", probe).build()));
    assertThat(executor.queued()).isEqualTo(1);

    // Waiting for a worker, five times the deadline: not a timeout, the probe has not started.
    scheduler.advance(Duration.ofSeconds(5));
    assertThat(checker.snapshot().component("slow").result().outcome())
        .isEqualTo(ProbeResult.Outcome.PENDING);
    assertThat(scheduler.pendingDelays()).as("no deadline while queued").isEmpty();

    // The body starts now and takes 1.5 s; its 1 s deadline passes while it runs.
    Instant startedAt = clock.instant();
    executor.runAll();
    assertThat(probe.contexts)
        .singleElement()
        .isEqualTo(new ProbeContext("slow", startedAt, Duration.ofSeconds(1)));
    ComponentHealth slow = checker.snapshot().component("slow");
    assertThat(slow.status()).isEqualTo(HealthStatus.FAIL);
    assertThat(slow.result().outcome()).isEqualTo(ProbeResult.Outcome.TIMED_OUT);
    assertThat(slow.result().output()).contains("PT1S");
    assertThat(slow.result().time()).isEqualTo(startedAt.plusSeconds(1));
    assertThat(slow.result().duration()).isEqualTo(Duration.ofSeconds(1));
    assertThat(probe.interrupted).as("cancellation interrupts the worker").hasValue(1);
    // Re-checked failingInterval (2 s) after the timeout, i.e. 1.5 s after the body returned.
    assertThat(scheduler.pendingDelays()).containsExactly(Duration.ofMillis(1500));

    probe.work = Duration.ofMillis(999);
    scheduler.advance(Duration.ofMillis(1500));
    executor.runAll();
    slow = checker.snapshot().component("slow");
    assertThat(slow.result().outcome()).isEqualTo(ProbeResult.Outcome.COMPLETED);
    assertThat(slow.status()).isEqualTo(HealthStatus.PASS);
    assertThat(slow.result().duration()).isEqualTo(Duration.ofMillis(999));
    assertThat(probe.interrupted).hasValue(1);
    assertThat(scheduler.pendingDelays())
        .as("the deadline task is cancelled once the probe returns")
        .containsExactly(Duration.ofSeconds(10));
  }

  @Test
  void aProbeQueuedBehindASlowProbeLongerThanItsDeadlinePassesOnceItRuns() {
    // ManualExecutor runs its tasks one after another: an evaluator pool of one thread.
    ManualExecutor executor = new ManualExecutor();
    BusyProbe slow = new BusyProbe(scheduler, Duration.ofSeconds(5));
    List<ProbeContext> fastContexts = Collections.synchronizedList(new ArrayList<>());
    ScriptedProbe fast = new ScriptedProbe();
    started(
        builder(config().build(), executor)
            .probe(ProbeRegistration.builder("slow", slow).deadline(Duration.ofSeconds(10)).build())
            .probe(
                ProbeRegistration.builder(
                        "fast",
                        ctx -> {
                          fastContexts.add(ctx);
                          return fast.check(ctx);
                        })
                    .build()));
    Instant submitted = clock.instant();
    assertThat(executor.queued()).isEqualTo(2);

    // 'slow' holds the only worker for 5 s while 'fast' (deadline 1 s) waits behind it.
    executor.runAll();

    assertThat(fast.calls).as("the queued probe was run, not cancelled").hasValue(1);
    assertThat(fastContexts)
        .singleElement()
        .isEqualTo(new ProbeContext("fast", submitted.plusSeconds(5), Duration.ofSeconds(1)));
    ComponentHealth f = checker.snapshot().component("fast");
    assertThat(f.status()).isEqualTo(HealthStatus.PASS);
    assertThat(f.result().outcome()).isEqualTo(ProbeResult.Outcome.COMPLETED);
    assertThat(f.result().duration()).as("measured from its start").isEqualTo(Duration.ZERO);
    assertThat(checker.snapshot().component("slow").status()).isEqualTo(HealthStatus.PASS);
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.PASS);
    assertThat(events)
        .extracting(HealthTransitionEvent::to)
        .containsExactly(HealthStatus.PASS, HealthStatus.PASS);
  }

  @Test
  void aProbeThatNeverGetsAWorkerKeepsItsResultUntilMaxAgeThenBecomesUnknown() {
    ManualExecutor executor = new ManualExecutor();
    ScriptedProbe probe = new ScriptedProbe();
    started(
        builder(config().maxAge(Duration.ofSeconds(30)).build(), executor)
            .probe(ProbeRegistration.builder("db", probe).build()));
    Instant evaluated = clock.instant();
    executor.runAll();
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.PASS);

    // The next evaluation is submitted after the interval, and no worker ever takes it.
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(executor.queued()).isEqualTo(1);
    scheduler.advance(Duration.ofSeconds(20));
    ComponentHealth db = checker.snapshot().component("db");
    assertThat(db.status())
        .as("waiting for a worker is not a timeout")
        .isEqualTo(HealthStatus.PASS);
    assertThat(db.result().outcome()).isEqualTo(ProbeResult.Outcome.COMPLETED);
    assertThat(db.result().time()).isEqualTo(evaluated);
    assertThat(executor.queued()).as("not submitted again while it waits").isEqualTo(1);
    assertThat(scheduler.pendingDelays()).as("no deadline, no next tick while it waits").isEmpty();
    assertThat(checker.evaluateNow()).as("a round waits for the queued evaluation").isNotDone();
    assertThat(executor.queued()).isEqualTo(1);

    clock.advance(Duration.ofMillis(1));
    HealthReport readiness = checker.report(ProbeKind.READINESS);
    assertThat(readiness.status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(readiness.httpStatus()).isEqualTo(503);
    db = readiness.components().get(0);
    assertThat(db.result().outcome()).isEqualTo(ProbeResult.Outcome.STALE);
    assertThat(db.result().output()).contains("older than maxAge PT30S");

    // When a worker finally takes it, the evaluation runs and the result is fresh again.
    executor.runAll();
    assertThat(probe.calls).hasValue(2);
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.PASS);
    assertThat(checker.snapshot().component("db").result().time()).isEqualTo(clock.instant());
  }

  @Test
  void aProbeIsNotStartedWhenItsDeadlineCannotBeScheduled() {
    ManualExecutor executor = new ManualExecutor();
    ScriptedProbe probe = new ScriptedProbe();
    started(
        builder(config().build(), executor).probe(ProbeRegistration.builder("db", probe).build()));
    scheduler.kill();
    executor.runAll();
    assertThat(probe.calls).as("a body without a deadline could hang unnoticed").hasValue(0);
    ComponentHealth db = checker.snapshot().component("db");
    assertThat(db.status()).isEqualTo(HealthStatus.FAIL);
    assertThat(db.result().outcome()).isEqualTo(ProbeResult.Outcome.REJECTED);
    assertThat(db.result().output()).isEqualTo("the health scheduler rejected the deadline task");
  }

  @Test
  void aResultOlderThanMaxAgeBecomesUnknownWhenTheEvaluatorDies() {
    ScriptedProbe probe = new ScriptedProbe();
    started(
        builder(config().maxAge(Duration.ofSeconds(30)).build(), DIRECT)
            .probe(ProbeRegistration.builder("db", probe).build()));
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.PASS);

    scheduler.kill();
    clock.advance(Duration.ofSeconds(30));
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.PASS);
    clock.advance(Duration.ofMillis(1));
    HealthReport readiness = checker.report(ProbeKind.READINESS);
    assertThat(readiness.status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(readiness.httpStatus()).isEqualTo(503);
    ComponentHealth db = readiness.components().get(0);
    assertThat(db.result().outcome()).isEqualTo(ProbeResult.Outcome.STALE);
    assertThat(db.result().output()).contains("older than maxAge PT30S");
  }

  @Test
  void hysteresisNeedsConsecutiveResultsToChangeAndReportsTheReason() {
    ScriptedProbe probe = new ScriptedProbe();
    started(
        builder(config().failureThreshold(3).recoveryThreshold(2).build(), DIRECT)
            .probe(ProbeRegistration.builder("db", probe).build()));
    assertThat(events)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.from()).isEqualTo(HealthStatus.UNKNOWN);
              assertThat(e.to()).isEqualTo(HealthStatus.PASS);
            });
    events.clear();

    probe.set(HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(10)); // 1st FAIL
    scheduler.advance(Duration.ofSeconds(2)); // 2nd FAIL
    assertThat(checker.snapshot().component("db").status()).isEqualTo(HealthStatus.PASS);
    assertThat(checker.snapshot().component("db").result().status()).isEqualTo(HealthStatus.FAIL);
    probe.set(HealthStatus.PASS);
    scheduler.advance(Duration.ofSeconds(2)); // PASS resets the streak
    probe.set(HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(10));
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(checker.snapshot().component("db").status()).isEqualTo(HealthStatus.PASS);
    assertThat(events).isEmpty();
    scheduler.advance(Duration.ofSeconds(2)); // 3rd consecutive FAIL
    assertThat(checker.snapshot().component("db").status()).isEqualTo(HealthStatus.FAIL);
    assertThat(events)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.probe()).isEqualTo("db");
              assertThat(e.from()).isEqualTo(HealthStatus.PASS);
              assertThat(e.to()).isEqualTo(HealthStatus.FAIL);
              assertThat(e.reason()).contains("3 consecutive worse").contains("scripted FAIL");
              assertThat(e.time()).isEqualTo(clock.instant());
            });
    assertThat(checker.snapshot().component("db").since()).isEqualTo(clock.instant());
    events.clear();

    probe.set(HealthStatus.PASS);
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(checker.snapshot().component("db").status()).isEqualTo(HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(checker.snapshot().component("db").status()).isEqualTo(HealthStatus.PASS);
    assertThat(events)
        .singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("2 consecutive better"));
  }

  @Test
  void drainingFailsReadinessButNotLiveness() {
    ScriptedProbe db = new ScriptedProbe();
    ScriptedProbe loop = new ScriptedProbe();
    started(
        builder(config().build(), DIRECT)
            .probe(ProbeRegistration.builder("db", db).build())
            .probe(
                ProbeRegistration.builder("event-loop", loop)
                    .internal()
                    .kinds(ProbeKind.LIVENESS)
                    .build()));
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.PASS);
    assertThat(checker.lifecycle()).isEqualTo(LifecycleState.RUNNING);

    checker.drain();
    checker.drain();
    HealthReport readiness = checker.report(ProbeKind.READINESS);
    assertThat(readiness.status()).isEqualTo(HealthStatus.FAIL);
    assertThat(readiness.output()).isEqualTo("draining");
    assertThat(readiness.httpStatus()).isEqualTo(503);
    assertThat(checker.report(ProbeKind.LIVENESS).status()).isEqualTo(HealthStatus.PASS);
    assertThat(lifecycleEvents).containsExactly("STARTING->RUNNING", "RUNNING->DRAINING");

    scheduler.advance(Duration.ofSeconds(60));
    assertThat(checker.report(ProbeKind.LIVENESS).status())
        .as("probes keep running while draining")
        .isEqualTo(HealthStatus.PASS);
    assertThat(loop.calls.get()).isGreaterThan(5);

    checker.close();
    assertThat(checker.report(ProbeKind.LIVENESS).status()).isEqualTo(HealthStatus.FAIL);
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void startupGatesReadinessUntilStartupProbesPassAndTheSignalArrives() {
    ScriptedProbe migrations = new ScriptedProbe().set(HealthStatus.FAIL);
    ScriptedProbe db = new ScriptedProbe();
    started(
        builder(config().requireStartupSignal(true).build(), DIRECT)
            .probe(
                ProbeRegistration.builder("migrations", migrations)
                    .kinds(ProbeKind.STARTUP)
                    .build())
            .probe(ProbeRegistration.builder("db", db).build()));
    assertThat(checker.report(ProbeKind.STARTUP).status()).isEqualTo(HealthStatus.FAIL);
    HealthReport readiness = checker.report(ProbeKind.READINESS);
    assertThat(readiness.status()).isEqualTo(HealthStatus.FAIL);
    assertThat(readiness.output()).isEqualTo("starting");

    migrations.set(HealthStatus.PASS);
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(checker.report(ProbeKind.STARTUP).status()).isEqualTo(HealthStatus.FAIL);
    assertThat(checker.report(ProbeKind.STARTUP).output()).contains("markStartupComplete");
    assertThat(checker.lifecycle()).isEqualTo(LifecycleState.STARTING);

    checker.markStartupComplete();
    assertThat(checker.report(ProbeKind.STARTUP).status()).isEqualTo(HealthStatus.PASS);
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.PASS);
    assertThat(checker.lifecycle()).isEqualTo(LifecycleState.RUNNING);

    migrations.set(HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(checker.report(ProbeKind.STARTUP).status())
        .as("startup latches")
        .isEqualTo(HealthStatus.PASS);
  }

  @Test
  void aThrowingProbeFailsWithItsMessageAndTheEvaluatorKeepsGoing() {
    ScriptedProbe probe = new ScriptedProbe();
    probe.toThrow.set(new IllegalStateException("password=hunter2 rejected"));
    started(
        builder(config().build(), DIRECT).probe(ProbeRegistration.builder("db", probe).build()));
    ComponentHealth db = checker.snapshot().component("db");
    assertThat(db.status()).isEqualTo(HealthStatus.FAIL);
    assertThat(db.result().outcome()).isEqualTo(ProbeResult.Outcome.THREW);
    assertThat(db.result().output())
        .isEqualTo("java.lang.IllegalStateException: password=hunter2 rejected");
    assertThat(db.result().error()).isInstanceOf(IllegalStateException.class);

    scheduler.advance(Duration.ofSeconds(2));
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(probe.calls).hasValue(3);
    probe.toThrow.set(null);
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(checker.snapshot().component("db").status()).isEqualTo(HealthStatus.PASS);
  }

  @Test
  void aProbeReturningNullFails() {
    started(
        builder(config().build(), DIRECT)
            .probe(ProbeRegistration.builder("null", ctx -> null).build()));
    ComponentHealth c = checker.snapshot().component("null");
    assertThat(c.status()).isEqualTo(HealthStatus.FAIL);
    assertThat(c.result().output()).isEqualTo("probe returned null");
  }

  @Test
  void aThrowingListenerDoesNotStopEvaluationOrOtherListeners() {
    ScriptedProbe probe = new ScriptedProbe();
    started(
        HealthChecker.builder()
            .config(config().build())
            .clock(clock)
            .scheduler(scheduler)
            .executor(DIRECT)
            .listener(
                new HealthListener() {
                  @Override
                  public void onTransition(HealthTransitionEvent event) {
                    throw new IllegalStateException("listener bug");
                  }
                })
            .listener(recorder)
            .probe(ProbeRegistration.builder("db", probe).build()));
    probe.set(HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(events)
        .extracting(HealthTransitionEvent::to)
        .containsExactly(HealthStatus.PASS, HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(probe.calls).hasValue(3);
  }

  @Test
  void weightsLimitWhatEachProbeContributes() {
    ScriptedProbe critical = new ScriptedProbe();
    ScriptedProbe degrading = new ScriptedProbe().set(HealthStatus.FAIL);
    ScriptedProbe info = new ScriptedProbe().set(HealthStatus.FAIL);
    started(
        builder(config().build(), DIRECT)
            .probe(ProbeRegistration.builder("critical", critical).build())
            .probe(
                ProbeRegistration.builder("cache", degrading).weight(ProbeWeight.DEGRADING).build())
            .probe(
                ProbeRegistration.builder("disk", info).weight(ProbeWeight.INFORMATIONAL).build()));
    HealthReport r = checker.report(ProbeKind.READINESS);
    assertThat(r.status()).isEqualTo(HealthStatus.WARN);
    assertThat(r.httpStatus()).isEqualTo(200);
    assertThat(r.components())
        .extracting(ComponentHealth::name)
        .containsExactly("critical", "cache", "disk");

    degrading.set(HealthStatus.PASS);
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.PASS);
    critical.set(HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.FAIL);
  }

  @Test
  void beforeTheFirstResultEveryProbeIsUnknownAndReadinessIsNotServed() {
    checker =
        builder(config().build(), DIRECT)
            .probe(ProbeRegistration.builder("db", new ScriptedProbe()).build())
            .build();
    ComponentHealth db = checker.snapshot().component("db");
    assertThat(db.status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(db.result().outcome()).isEqualTo(ProbeResult.Outcome.PENDING);
    assertThat(checker.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(checker.report(ProbeKind.READINESS).httpStatus()).isEqualTo(503);
    assertThat(checker.report(ProbeKind.LIVENESS).status()).isEqualTo(HealthStatus.PASS);
  }

  @Test
  void kOfNGroupsTakeTheKthBestMember() {
    ScriptedProbe r1 = new ScriptedProbe();
    ScriptedProbe r2 = new ScriptedProbe();
    ScriptedProbe r3 = new ScriptedProbe();
    HealthChecker.Builder b = builder(config().build(), DIRECT);
    for (var e : List.of(r1, r2, r3)) {
      b.probe(
          ProbeRegistration.builder("replica-" + (List.of(r1, r2, r3).indexOf(e) + 1), e)
              .kinds()
              .build());
    }
    b.group(ProbeGroup.kOfN("replicas", 2, "replica-1", "replica-2", "replica-3").build());
    b.group(
        ProbeGroup.anyOf("any-replica", "replica-1", "replica-2", "replica-3")
            .kinds(ProbeKind.DEEP)
            .build());
    b.group(
        ProbeGroup.allOf("all-replicas", "replica-1", "replica-2", "replica-3")
            .kinds(ProbeKind.DEEP)
            .build());
    started(b);
    assertThat(checker.report(ProbeKind.READINESS).components())
        .extracting(ComponentHealth::name)
        .containsExactly("replicas");

    r1.set(HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(10));
    HealthSnapshot s = checker.snapshot();
    assertThat(s.component("replicas").status()).isEqualTo(HealthStatus.PASS);
    assertThat(s.component("replicas").result().observedValue()).isEqualTo(2);
    assertThat(s.component("any-replica").status()).isEqualTo(HealthStatus.PASS);
    assertThat(s.component("all-replicas").status()).isEqualTo(HealthStatus.FAIL);

    r2.set(HealthStatus.WARN);
    scheduler.advance(Duration.ofSeconds(10));
    s = checker.snapshot();
    assertThat(s.component("replicas").status()).isEqualTo(HealthStatus.WARN);
    r3.set(HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(10));
    s = checker.snapshot();
    assertThat(s.component("replicas").status()).isEqualTo(HealthStatus.FAIL);
    assertThat(s.component("any-replica").status()).isEqualTo(HealthStatus.WARN);
    assertThat(s.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.FAIL);
    assertThat(s.component("replicas").result().output())
        .isEqualTo("1 of 3 members available, 2 required");
  }

  @Test
  void evaluateNowIsSingleFlight() {
    ManualExecutor executor = new ManualExecutor();
    ScriptedProbe a = new ScriptedProbe();
    ScriptedProbe b = new ScriptedProbe();
    checker =
        builder(config().build(), executor)
            .probe(ProbeRegistration.builder("a", a).build())
            .probe(ProbeRegistration.builder("b", b).build())
            .build();
    CompletableFuture<HealthSnapshot> first = checker.evaluateNow();
    CompletableFuture<HealthSnapshot> second = checker.evaluateNow();
    assertThat(second).isSameAs(first);
    assertThat(executor.queued()).isEqualTo(2);
    assertThat(first).isNotDone();

    executor.runAll();
    assertThat(first).isDone();
    assertThat(first.join().component("a").status()).isEqualTo(HealthStatus.PASS);
    assertThat(a.calls).hasValue(1);
    assertThat(b.calls).hasValue(1);

    CompletableFuture<HealthSnapshot> third = checker.evaluateNow();
    assertThat(third).isNotSameAs(first);
    // Deadlines count from each probe's start: a round waits while its probes wait for a worker,
    // and waiting does not time them out.
    scheduler.advance(Duration.ofSeconds(5));
    assertThat(third).isNotDone();
    assertThat(checker.evaluateNow()).isSameAs(third);
    assertThat(executor.queued()).isEqualTo(2);
    executor.runAll();
    assertThat(third).isDone();
    assertThat(third.join().component("a").result().outcome())
        .isEqualTo(ProbeResult.Outcome.COMPLETED);
    assertThat(a.calls).hasValue(2);
  }

  @Test
  void configurationErrorsAreClear() {
    Probe p = ctx -> ProbeResult.pass();
    assertThatThrownBy(
            () ->
                HealthChecker.builder()
                    .probe(ProbeRegistration.builder("db", p).build())
                    .probe(ProbeRegistration.builder("db", p).build())
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("probe name 'db' is registered twice; probe names must be unique");
    assertThatThrownBy(() -> ProbeRegistration.builder("db", p).deadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("deadline must be positive, but was PT0S");
    assertThatThrownBy(() -> HealthCheckerConfig.custom().deadline(Duration.ofMillis(-5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("deadline must be positive, but was PT-0.005S");
    assertThatThrownBy(() -> ProbeGroup.kOfN("replicas", 3, "a", "b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("group 'replicas': k must be in [1, 2] (the number of members), but was 3");
    assertThatThrownBy(() -> ProbeGroup.kOfN("replicas", 0, "a", "b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("but was 0");
    assertThatThrownBy(() -> ProbeGroup.anyOf("replicas", "a", "a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than once");
    assertThatThrownBy(
            () ->
                HealthChecker.builder()
                    .probe(ProbeRegistration.builder("a", p).build())
                    .group(ProbeGroup.anyOf("g", "a", "ghost").build())
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown probe 'ghost'");
    assertThatThrownBy(
            () ->
                HealthChecker.builder()
                    .probe(ProbeRegistration.builder("a", p).build())
                    .group(ProbeGroup.anyOf("a", "a").build())
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("group name 'a' is already registered");
    assertThatThrownBy(() -> ProbeRegistration.builder("db", p).kinds(ProbeKind.LIVENESS).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot count in LIVENESS")
        .hasMessageContaining("allowExternalDependencyInLiveness()");
    assertThat(
            ProbeRegistration.builder("db", p)
                .kinds(ProbeKind.LIVENESS)
                .allowExternalDependencyInLiveness()
                .build()
                .kinds())
        .containsExactly(ProbeKind.LIVENESS);
    assertThatThrownBy(
            () ->
                HealthChecker.builder()
                    .probe(ProbeRegistration.builder("a", p).kinds().build())
                    .group(ProbeGroup.anyOf("g", "a").kinds(ProbeKind.LIVENESS).build())
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("group 'g' counts in LIVENESS");
    assertThatThrownBy(
            () ->
                HealthChecker.builder()
                    .probe(
                        ProbeRegistration.builder("a", p)
                            .interval(Duration.ofSeconds(10))
                            .deadline(Duration.ofSeconds(2))
                            .maxAge(Duration.ofSeconds(12))
                            .build())
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "maxAge (PT12S) of probe 'a' must be greater than its longest interval (PT10S) plus"
                + " its deadline (PT2S), or its results would go stale between evaluations");
    assertThatThrownBy(() -> ProbeRegistration.builder("a:b", p))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not contain ':'");
    assertThatThrownBy(() -> ProbeRegistration.builder("a", p).jitter(1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("jitter must be in [0.0, 1.0), but was 1.0");
    assertThatThrownBy(() -> ProbeRegistration.builder("a", p).failureThreshold(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failureThreshold must be at least 1, but was 0");
  }
}
