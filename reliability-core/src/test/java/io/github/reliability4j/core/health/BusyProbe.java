package io.github.reliability4j.core.health;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A passing probe whose body takes fake time: while it runs it advances the {@link FakeScheduler}
 * by {@link #work}, so deadlines and other tasks due meanwhile fire during the body, as they would
 * on a real scheduler thread. Use it with {@link ManualExecutor}: the body then runs on the test
 * thread outside {@link FakeScheduler#advance(Duration)}. A cancellation therefore interrupts the
 * test thread; the probe counts the interrupt and clears it.
 */
final class BusyProbe implements Probe {
  private final FakeScheduler scheduler;
  volatile Duration work;
  final AtomicInteger calls = new AtomicInteger();
  final AtomicInteger interrupted = new AtomicInteger();
  final List<ProbeContext> contexts = new CopyOnWriteArrayList<>();

  BusyProbe(FakeScheduler scheduler, Duration work) {
    this.scheduler = scheduler;
    this.work = work;
  }

  @Override
  public ProbeResult check(ProbeContext context) {
    calls.incrementAndGet();
    contexts.add(context);
    scheduler.advance(work);
    if (Thread.interrupted()) {
      interrupted.incrementAndGet();
    }
    return ProbeResult.builder(HealthStatus.PASS).output("worked " + work).build();
  }
}
