package io.github.reliability4j.core.health.probes;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.health.internal.Checks;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionHandler;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reports how saturated a {@link ThreadPoolExecutor} is, from its own statistics.
 *
 * <p>Rules, first match wins:
 *
 * <ol>
 *   <li>{@code FAIL} if tasks were rejected since the previous evaluation (only when rejections are
 *       counted, see {@link Builder#countRejections()}), or a bounded queue is full, or the queue
 *       holds at least {@code failQueueDepth} tasks.
 *   <li>{@code WARN} if active threads / maximum pool size ≥ {@code warnUtilization} (default 0.9),
 *       or the queue holds at least {@code warnQueueDepth} tasks.
 *   <li>{@code PASS} otherwise.
 * </ol>
 *
 * <p>Observed value: utilisation in percent. Details: active, maximumPoolSize, poolSize, queueSize,
 * queueRemainingCapacity, completedTasks, rejectedSinceLastCheck. The executor's statistics are
 * approximate by their own Javadoc; this probe inherits that. Thread-safe.
 */
public final class ThreadPoolSaturationProbe implements Probe {
  private final ThreadPoolExecutor executor;
  private final double warnUtilization;
  private final int warnQueueDepth;
  private final int failQueueDepth;
  private final AtomicLong rejections;
  private final AtomicLong lastSeenRejections = new AtomicLong();

  private ThreadPoolSaturationProbe(Builder b) {
    this.executor = b.executor;
    this.warnUtilization = b.warnUtilization;
    this.warnQueueDepth = b.warnQueueDepth;
    this.failQueueDepth = b.failQueueDepth;
    this.rejections = b.rejections;
  }

  public static ThreadPoolSaturationProbe of(ThreadPoolExecutor executor) {
    return builder(executor).build();
  }

  public static Builder builder(ThreadPoolExecutor executor) {
    return new Builder(executor);
  }

  @Override
  public ProbeResult check(ProbeContext context) {
    int active = executor.getActiveCount();
    int max = executor.getMaximumPoolSize();
    int queued = executor.getQueue().size();
    int remaining = executor.getQueue().remainingCapacity();
    double utilization = max == 0 ? 0 : (double) active / max;
    long rejectedSince = 0;
    if (rejections != null) {
      long total = rejections.get();
      rejectedSince = total - lastSeenRejections.getAndSet(total);
    }
    HealthStatus status;
    String output;
    boolean boundedFull = remaining == 0 && queued > 0;
    if (rejectedSince > 0) {
      status = HealthStatus.FAIL;
      output = rejectedSince + " task(s) rejected since the previous check";
    } else if (boundedFull) {
      status = HealthStatus.FAIL;
      output = "queue is full (" + queued + " tasks)";
    } else if (queued >= failQueueDepth) {
      status = HealthStatus.FAIL;
      output = queued + " queued tasks ≥ failQueueDepth " + failQueueDepth;
    } else if (utilization >= warnUtilization) {
      status = HealthStatus.WARN;
      output = active + " of " + max + " threads busy";
    } else if (queued >= warnQueueDepth) {
      status = HealthStatus.WARN;
      output = queued + " queued tasks ≥ warnQueueDepth " + warnQueueDepth;
    } else {
      status = HealthStatus.PASS;
      output = active + " of " + max + " threads busy, " + queued + " queued";
    }
    return ProbeResult.builder(status)
        .observed(Math.round(utilization * 1000) / 10.0, "percent")
        .output(output)
        .detail("active", active)
        .detail("maximumPoolSize", max)
        .detail("poolSize", executor.getPoolSize())
        .detail("queueSize", queued)
        .detail("queueRemainingCapacity", remaining)
        .detail("completedTasks", executor.getCompletedTaskCount())
        .detail("rejectedSinceLastCheck", rejectedSince)
        .build();
  }

  /** Builds a {@link ThreadPoolSaturationProbe}. Not thread-safe. */
  public static final class Builder {
    private final ThreadPoolExecutor executor;
    private double warnUtilization = 0.9;
    private int warnQueueDepth = Integer.MAX_VALUE;
    private int failQueueDepth = Integer.MAX_VALUE;
    private AtomicLong rejections;

    private Builder(ThreadPoolExecutor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
    }

    /**
     * @throws IllegalArgumentException if outside (0, 1]
     */
    public Builder warnUtilization(double warnUtilization) {
      if (!(warnUtilization > 0 && warnUtilization <= 1)) {
        throw new IllegalArgumentException(
            "warnUtilization must be in (0, 1], but was " + warnUtilization);
      }
      this.warnUtilization = warnUtilization;
      return this;
    }

    /**
     * @throws IllegalArgumentException if less than 1
     */
    public Builder warnQueueDepth(int warnQueueDepth) {
      this.warnQueueDepth = Checks.atLeast("warnQueueDepth", warnQueueDepth, 1);
      return this;
    }

    /**
     * @throws IllegalArgumentException if less than 1
     */
    public Builder failQueueDepth(int failQueueDepth) {
      this.failQueueDepth = Checks.atLeast("failQueueDepth", failQueueDepth, 1);
      return this;
    }

    /**
     * Counts rejections by wrapping the executor's current {@link RejectedExecutionHandler} (which
     * still runs, so the executor's behaviour is unchanged). Replacing the handler later stops the
     * counting.
     */
    public Builder countRejections() {
      AtomicLong counter = new AtomicLong();
      RejectedExecutionHandler delegate = executor.getRejectedExecutionHandler();
      executor.setRejectedExecutionHandler(
          (r, e) -> {
            counter.incrementAndGet();
            delegate.rejectedExecution(r, e);
          });
      this.rejections = counter;
      return this;
    }

    public ThreadPoolSaturationProbe build() {
      return new ThreadPoolSaturationProbe(this);
    }
  }
}
