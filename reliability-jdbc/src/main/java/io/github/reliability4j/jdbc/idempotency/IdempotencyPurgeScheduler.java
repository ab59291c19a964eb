package io.github.reliability4j.jdbc.idempotency;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link JdbcIdempotencyStore#purgeExpired()} periodically on an executor the application
 * owns; for a store in the partition-per-day layout it runs {@link
 * JdbcIdempotencyStore#maintainPartitions()} instead.
 *
 * <pre>{@code
 * IdempotencyPurgeScheduler purger =
 *     IdempotencyPurgeScheduler.start(store, scheduledExecutor, Duration.ofMinutes(5));
 * ...
 * purger.close(); // cancels future runs; does not shut the executor down
 * }</pre>
 *
 * Runs use fixed delay, so a slow purge never overlaps the next one. A failing run (database down)
 * is logged at WARN, counted, and does not stop later runs. The purge runs on the executor's
 * thread. Thread-safe.
 */
public final class IdempotencyPurgeScheduler implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(IdempotencyPurgeScheduler.class);

  private final JdbcIdempotencyStore store;
  private final AtomicLong runs = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong purged = new AtomicLong();
  private final AtomicReference<Throwable> lastFailure = new AtomicReference<>();
  private volatile ScheduledFuture<?> future;

  private IdempotencyPurgeScheduler(JdbcIdempotencyStore store) {
    this.store = store;
  }

  /**
   * Schedules a purge every {@code interval} (first run after one interval).
   *
   * @throws IllegalArgumentException if {@code interval} is not positive
   */
  public static IdempotencyPurgeScheduler start(
      JdbcIdempotencyStore store, ScheduledExecutorService executor, Duration interval) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(executor, "executor");
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive, but was " + interval);
    }
    IdempotencyPurgeScheduler scheduler = new IdempotencyPurgeScheduler(store);
    long millis = Math.max(1, interval.toMillis());
    scheduler.future =
        executor.scheduleWithFixedDelay(scheduler::runOnce, millis, millis, TimeUnit.MILLISECONDS);
    return scheduler;
  }

  /**
   * One purge, as the schedule runs it: never throws.
   *
   * @return rows deleted (partitioned layout: day partitions dropped), or -1 if the run failed
   */
  public long runOnce() {
    runs.incrementAndGet();
    try {
      long n;
      if (store.getConfig().isPartitionedByDay()) {
        PartitionMaintenance m = store.maintainPartitions();
        n = m.dropped().size();
        if (n > 0 || !m.created().isEmpty()) {
          log.info("Idempotency partitions of {}: {}", store.getTableName(), m);
        }
      } else {
        n = store.purgeExpired();
      }
      purged.addAndGet(n);
      if (n > 0) {
        log.debug("Purged {} expired idempotency records from {}", n, store.getTableName());
      }
      return n;
    } catch (RuntimeException e) {
      failures.incrementAndGet();
      lastFailure.set(e);
      log.warn("Purging expired idempotency records from {} failed", store.getTableName(), e);
      return -1;
    }
  }

  /** Runs started so far (scheduled or via {@link #runOnce()}). */
  public long getRuns() {
    return runs.get();
  }

  /** Runs that failed. */
  public long getFailures() {
    return failures.get();
  }

  /** Rows deleted by all runs (partitioned layout: day partitions dropped). */
  public long getPurged() {
    return purged.get();
  }

  /** The last failure, if any run failed. */
  public java.util.Optional<Throwable> getLastFailure() {
    return java.util.Optional.ofNullable(lastFailure.get());
  }

  /** Cancels future runs (a run in progress finishes); the executor stays the caller's. */
  @Override
  public void close() {
    ScheduledFuture<?> f = future;
    if (f != null) {
      f.cancel(false);
    }
  }
}
