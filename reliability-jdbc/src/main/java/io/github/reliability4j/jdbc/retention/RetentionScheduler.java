package io.github.reliability4j.jdbc.retention;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link RetentionRunner}s periodically on an executor the application owns.
 *
 * <pre>{@code
 * RetentionScheduler scheduler =
 *     RetentionScheduler.start(List.of(ordersRunner, auditRunner), executor, Duration.ofMinutes(10));
 * ...
 * scheduler.close(); // cancels future runs; does not shut the executor down
 * }</pre>
 *
 * Each tick runs the policies one after the other on the executor's thread, with fixed delay, so a
 * slow run never overlaps the next tick. A run that fails or is rejected is logged and does not
 * stop later runs or other policies. Several instances may schedule the same policies: the lease
 * lets one of them run each policy at a time. Thread-safe.
 */
public final class RetentionScheduler implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RetentionScheduler.class);

  private final List<RetentionRunner> runners;
  private volatile ScheduledFuture<?> future;

  private RetentionScheduler(List<RetentionRunner> runners) {
    this.runners = runners;
  }

  /**
   * Schedules all runners every {@code interval} (first tick after one interval).
   *
   * @throws IllegalArgumentException if {@code interval} is not positive or no runner is given
   */
  public static RetentionScheduler start(
      List<RetentionRunner> runners, ScheduledExecutorService executor, Duration interval) {
    Objects.requireNonNull(runners, "runners");
    Objects.requireNonNull(executor, "executor");
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive, but was " + interval);
    }
    if (runners.isEmpty()) {
      throw new IllegalArgumentException("runners must not be empty");
    }
    RetentionScheduler s = new RetentionScheduler(List.copyOf(runners));
    long millis = Math.max(1, interval.toMillis());
    s.future = executor.scheduleWithFixedDelay(s::runOnce, millis, millis, TimeUnit.MILLISECONDS);
    return s;
  }

  /** One tick, as the schedule runs it: every policy once; never throws. */
  public void runOnce() {
    for (RetentionRunner r : runners) {
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
      try {
        r.run();
      } catch (RuntimeException e) {
        log.warn("Retention policy '{}' did not run", r.getPolicy().getName(), e);
      }
    }
  }

  /** Cancels future ticks (a tick in progress finishes); the executor stays the caller's. */
  @Override
  public void close() {
    ScheduledFuture<?> f = future;
    if (f != null) {
      f.cancel(false);
    }
  }
}
