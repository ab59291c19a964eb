package io.github.reliability4j.core.health.internal;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The health evaluator's own worker pool: daemon threads named {@code <prefix>-<n>}, {@code
 * concurrency} of them plus one replacement per evaluation that ignored cancellation and is still
 * running ({@link #grow()} / {@link #shrink()}). Because the evaluator never starts a probe again
 * while its previous evaluation is still running, the thread count never exceeds {@code concurrency
 * + number of probes}. The queue holds at most one task per probe for the same reason. Not API.
 */
public final class EvaluatorPool implements Executor {
  private final ThreadPoolExecutor executor;
  private final int concurrency;
  private int abandoned;

  public EvaluatorPool(String threadNamePrefix, int concurrency) {
    this.concurrency = concurrency;
    AtomicInteger counter = new AtomicInteger();
    ThreadFactory factory =
        r -> {
          Thread t = new Thread(r, threadNamePrefix + "-" + counter.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    this.executor =
        new ThreadPoolExecutor(
            concurrency,
            concurrency,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            factory,
            new ThreadPoolExecutor.AbortPolicy());
  }

  @Override
  public void execute(Runnable command) {
    executor.execute(command);
  }

  /** Adds a replacement thread for an evaluation that is still running past its deadline. */
  public synchronized void grow() {
    abandoned++;
    executor.setMaximumPoolSize(concurrency + abandoned);
    executor.setCorePoolSize(concurrency + abandoned);
  }

  /** Removes the replacement once the abandoned evaluation has returned. */
  public synchronized void shrink() {
    abandoned--;
    executor.setCorePoolSize(concurrency + abandoned);
    executor.setMaximumPoolSize(concurrency + abandoned);
  }

  /** Returns the number of evaluations that ignored cancellation and are still running. */
  public synchronized int abandoned() {
    return abandoned;
  }

  /** Returns the current number of threads in the pool. */
  public int poolSize() {
    return executor.getPoolSize();
  }

  /** Interrupts every running evaluation and stops the pool. */
  public void shutdownNow() {
    executor.shutdownNow();
  }
}
