package io.github.reliability4j.core.health;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A deterministic scheduler driven by a {@link FakeClock}: tasks run on the test thread when {@link
 * #advance(Duration)} or {@link #runDue()} reaches their due time, in due-time then submission
 * order. Rejects everything once {@link #kill()}ed (a dead scheduler).
 */
final class FakeScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private final FakeClock clock;
  private final PriorityQueue<Task> queue = new PriorityQueue<>(Task::order);
  private long seq;
  private boolean dead;

  FakeScheduler(FakeClock clock) {
    this.clock = clock;
  }

  /** Moves time forward, running each task at its due time. */
  void advance(Duration d) {
    Instant target = clock.instant().plus(d);
    while (true) {
      Task next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.due.isAfter(target)) {
          break;
        }
        queue.poll();
      }
      if (next.due.isAfter(clock.instant())) {
        clock.set(next.due);
      }
      next.run();
    }
    clock.set(target);
  }

  void runDue() {
    advance(Duration.ZERO);
  }

  /** Simulates a dead evaluator: drops every pending task and rejects new ones. */
  synchronized void kill() {
    dead = true;
    queue.clear();
  }

  synchronized int pending() {
    return (int) queue.stream().filter(t -> !t.cancelled).count();
  }

  /** Delays of pending, non-cancelled tasks from now, sorted. */
  synchronized List<Duration> pendingDelays() {
    List<Duration> delays = new ArrayList<>();
    queue.stream()
        .filter(t -> !t.cancelled)
        .sorted(Task::order)
        .forEach(t -> delays.add(Duration.between(clock.instant(), t.due)));
    return delays;
  }

  @Override
  public synchronized ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    if (dead) {
      throw new RejectedExecutionException("dead");
    }
    Task t = new Task(clock.instant().plusNanos(unit.toNanos(delay)), seq++, command);
    queue.add(t);
    return t;
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public void shutdown() {
    kill();
  }

  @Override
  public List<Runnable> shutdownNow() {
    kill();
    return List.of();
  }

  @Override
  public synchronized boolean isShutdown() {
    return dead;
  }

  @Override
  public synchronized boolean isTerminated() {
    return dead;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return true;
  }

  private final class Task implements ScheduledFuture<Object> {
    final Instant due;
    final long order;
    final Runnable command;
    volatile boolean cancelled;
    volatile boolean done;

    Task(Instant due, long order, Runnable command) {
      this.due = due;
      this.order = order;
      this.command = command;
    }

    void run() {
      if (!cancelled) {
        done = true;
        command.run();
      }
    }

    int order(Task o) {
      int c = due.compareTo(o.due);
      return c != 0 ? c : Long.compare(order, o.order);
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(Duration.between(clock.instant(), due));
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done) {
        return false;
      }
      cancelled = true;
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public Object get() throws InterruptedException, ExecutionException {
      if (cancelled) {
        throw new CancellationException();
      }
      return null;
    }

    @Override
    public Object get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException {
      return get();
    }
  }
}
