package io.github.reliability4j.core.idempotency;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the leases of every owning {@link IdempotentExecution} of the engines sharing one renewal
 * scheduler from a single periodic task, instead of one scheduled task per owner: registering an
 * owner is a set insertion, not a heap insertion into the scheduler's queue and a cancellation
 * later.
 *
 * <p>The task runs every {@code tick}, the smallest renewal interval any owner has registered so
 * far (it is rescheduled when a smaller one arrives, never made longer). Each owner is renewed at
 * the first tick at or after its due time, so at most one tick — at most its own interval — late;
 * with the usual single interval (one per engine) it is renewed on time. Renewals run one after
 * another on the scheduler's thread, as the per-owner tasks did on the default single-thread
 * scheduler.
 *
 * <p>Thread-safe.
 */
final class LeaseSweeper {

  private static final Logger log = LoggerFactory.getLogger(LeaseSweeper.class);

  private final ScheduledExecutorService scheduler;
  private final Set<IdempotentExecution> owners = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  private volatile long tickNanos = Long.MAX_VALUE;
  private ScheduledFuture<?> task; // guarded by lock

  LeaseSweeper(ScheduledExecutorService scheduler) {
    this.scheduler = scheduler;
  }

  /**
   * Starts renewing {@code owner} every {@code intervalNanos} (first renewal one interval from
   * now).
   *
   * @throws java.util.concurrent.RejectedExecutionException if the scheduler refuses the sweep
   *     task; the owner is then not registered
   */
  void register(IdempotentExecution owner, long intervalNanos) {
    if (intervalNanos < tickNanos) {
      synchronized (lock) {
        if (intervalNanos < tickNanos) {
          ScheduledFuture<?> next =
              scheduler.scheduleAtFixedRate(
                  this::sweep, intervalNanos, intervalNanos, TimeUnit.NANOSECONDS);
          if (task != null) {
            task.cancel(false);
          }
          task = next;
          tickNanos = intervalNanos;
        }
      }
    }
    owners.add(owner);
  }

  void unregister(IdempotentExecution owner) {
    owners.remove(owner);
  }

  /** Owners currently renewed (for tests). */
  int size() {
    return owners.size();
  }

  private void sweep() {
    long now = System.nanoTime();
    for (IdempotentExecution owner : owners) {
      try {
        owner.renewIfDue(now);
      } catch (RuntimeException e) {
        // One failing owner must not stop the renewal of the others (a periodic task that throws
        // is cancelled by the scheduler).
        log.warn("Lease renewal failed for {}", owner, e);
      }
    }
  }
}
