package io.github.reliability4j.jdbc.health;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Reports HikariCP pool saturation from the pool's own {@link HikariPoolMXBean}; it never borrows a
 * connection, so it answers instantly even when the pool is exhausted.
 *
 * <p>It tells a pool that is momentarily busy ({@code WARN}) from an instance that cannot serve
 * ({@code FAIL}). Rules, first match wins (utilisation = active / maximumPoolSize):
 *
 * <ol>
 *   <li>{@code UNKNOWN} if the pool has not started or is closed.
 *   <li>{@code FAIL} if at least {@code failAcquireTimeouts} connection requests (default 1) timed
 *       out within the last {@code acquireTimeoutWindow} (default 10 s) — only with an {@link
 *       Builder#acquireTimeouts(LongSupplier) acquire-timeout counter}, which the pool's MXBean
 *       does not have (reliability-spring reads HikariCP's Micrometer counter).
 *   <li>{@code FAIL} if every connection is in use and threads have been waiting for one at every
 *       check for at least {@code failWaitingFor} (default 5 s). The MXBean counts waiters but not
 *       how long each waits, so this is sampled: two checks {@code failWaitingFor} apart both saw
 *       waiters and no check in between saw none.
 *   <li>{@code FAIL} if at least {@code failThreadsAwaiting} threads wait (off unless set).
 *   <li>{@code WARN} if utilisation ≥ {@code warnUtilization} (default 0.9) or at least {@code
 *       warnThreadsAwaiting} threads wait (default 1): momentary saturation.
 *   <li>{@code PASS} otherwise.
 * </ol>
 *
 * <p>A saturated pool is a readiness (or degrading) signal, never a liveness one: restarting an
 * instance does not make the database faster. Observed value: utilisation in percent (measurement
 * suggestion {@code utilization}). Details: active, idle, total, maximumPoolSize, threadsAwaiting,
 * and with a counter acquireTimeouts (in the window).
 *
 * <p>The probe keeps state between checks (when waiting began, the last timeout count), so one
 * instance belongs to one registration. HikariCP is an optional dependency of reliability-jdbc;
 * this class needs it on the class path. Thread-safe: checks are serialised.
 */
public final class HikariPoolProbe implements Probe {
  private final Supplier<HikariPoolMXBean> pool;
  private final IntSupplier maximumPoolSize;
  private final double warnUtilization;
  private final int warnThreadsAwaiting;
  private final Integer failThreadsAwaiting;
  private final Duration failWaitingFor;
  private final LongSupplier acquireTimeouts;
  private final int failAcquireTimeouts;
  private final Duration acquireTimeoutWindow;

  // guarded by this
  private Instant waitingSince;
  private long lastTimeoutCount = -1;
  private final Deque<Instant> timeoutTimes = new ArrayDeque<>();

  private HikariPoolProbe(Builder b) {
    this.pool = b.pool;
    this.maximumPoolSize = b.maximumPoolSize;
    this.warnUtilization = b.warnUtilization;
    this.warnThreadsAwaiting = b.warnThreadsAwaiting;
    this.failThreadsAwaiting = b.failThreadsAwaiting;
    this.failWaitingFor = b.failWaitingFor;
    this.acquireTimeouts = b.acquireTimeouts;
    this.failAcquireTimeouts = b.failAcquireTimeouts;
    this.acquireTimeoutWindow = b.acquireTimeoutWindow;
  }

  public static HikariPoolProbe of(HikariDataSource dataSource) {
    return builder(dataSource).build();
  }

  /** Reads the pool of {@code dataSource}; the pool may start after the probe is built. */
  public static Builder builder(HikariDataSource dataSource) {
    Objects.requireNonNull(dataSource, "dataSource");
    return new Builder(
        () -> dataSource.isClosed() ? null : dataSource.getHikariPoolMXBean(),
        dataSource::getMaximumPoolSize);
  }

  /** Reads any {@link HikariPoolMXBean} (e.g. a JMX proxy) with the pool's maximum size. */
  public static Builder builder(HikariPoolMXBean pool, IntSupplier maximumPoolSize) {
    Objects.requireNonNull(pool, "pool");
    return new Builder(() -> pool, Objects.requireNonNull(maximumPoolSize, "maximumPoolSize"));
  }

  @Override
  public synchronized ProbeResult check(ProbeContext context) {
    HikariPoolMXBean bean = pool.get();
    if (bean == null) {
      waitingSince = null;
      return ProbeResult.builder(HealthStatus.UNKNOWN)
          .output("pool is not running (not started yet, or closed)")
          .build();
    }
    Instant now = context.startedAt();
    int active = bean.getActiveConnections();
    int idle = bean.getIdleConnections();
    int total = bean.getTotalConnections();
    int waiting = bean.getThreadsAwaitingConnection();
    int max = maximumPoolSize.getAsInt();
    double utilization = max <= 0 ? 0 : (double) active / max;
    boolean full = max > 0 && active >= max;
    if (waiting > 0 && full) {
      if (waitingSince == null) {
        waitingSince = now;
      }
    } else {
      waitingSince = null;
    }
    int recentTimeouts = acquireTimeouts == null ? -1 : recentTimeouts(now);
    String stats =
        "(total=" + total + ", active=" + active + ", idle=" + idle + ", waiting=" + waiting + ")";
    HealthStatus status;
    String output;
    if (recentTimeouts >= failAcquireTimeouts) {
      status = HealthStatus.FAIL;
      output =
          "pool exhausted: "
              + recentTimeouts
              + " connection requests timed out in the last "
              + acquireTimeoutWindow
              + " "
              + stats;
    } else if (waitingSince != null
        && Duration.between(waitingSince, now).compareTo(failWaitingFor) >= 0) {
      status = HealthStatus.FAIL;
      output =
          "pool exhausted: threads waiting for a connection for "
              + Duration.between(waitingSince, now).toMillis()
              + " ms ≥ "
              + failWaitingFor.toMillis()
              + " ms "
              + stats;
    } else if (failThreadsAwaiting != null && waiting >= failThreadsAwaiting) {
      status = HealthStatus.FAIL;
      output =
          "pool exhausted: " + waiting + " threads waiting ≥ " + failThreadsAwaiting + " " + stats;
    } else if (utilization >= warnUtilization || waiting >= warnThreadsAwaiting) {
      status = HealthStatus.WARN;
      output = "pool saturated: " + active + " of " + max + " connections in use " + stats;
    } else {
      status = HealthStatus.PASS;
      output = active + " of " + max + " connections in use " + stats;
    }
    ProbeResult.Builder result =
        ProbeResult.builder(status)
            .observed(Math.round(utilization * 1000) / 10.0, "percent")
            .output(output)
            .detail("active", active)
            .detail("idle", idle)
            .detail("total", total)
            .detail("maximumPoolSize", max)
            .detail("threadsAwaiting", waiting);
    if (recentTimeouts >= 0) {
      result.detail("acquireTimeouts", recentTimeouts);
    }
    return result.build();
  }

  /** Timeouts counted since the previous check, remembered for the window. */
  private int recentTimeouts(Instant now) {
    long count = acquireTimeouts.getAsLong();
    if (lastTimeoutCount >= 0 && count > lastTimeoutCount) {
      long added = Math.min(count - lastTimeoutCount, 1_000);
      for (long i = 0; i < added; i++) {
        timeoutTimes.addLast(now);
      }
      while (timeoutTimes.size() > 1_000) {
        timeoutTimes.removeFirst();
      }
    }
    // the first reading is a baseline: timeouts before the probe existed are not this window's
    lastTimeoutCount = count;
    Instant cutoff = now.minus(acquireTimeoutWindow);
    while (!timeoutTimes.isEmpty() && !timeoutTimes.peekFirst().isAfter(cutoff)) {
      timeoutTimes.removeFirst();
    }
    return timeoutTimes.size();
  }

  /** Builds a {@link HikariPoolProbe}. Not thread-safe. */
  public static final class Builder {
    private final Supplier<HikariPoolMXBean> pool;
    private final IntSupplier maximumPoolSize;
    private double warnUtilization = 0.9;
    private int warnThreadsAwaiting = 1;
    private Integer failThreadsAwaiting;
    private Duration failWaitingFor = Duration.ofSeconds(5);
    private LongSupplier acquireTimeouts;
    private int failAcquireTimeouts = 1;
    private Duration acquireTimeoutWindow = Duration.ofSeconds(10);

    private Builder(Supplier<HikariPoolMXBean> pool, IntSupplier maximumPoolSize) {
      this.pool = pool;
      this.maximumPoolSize = maximumPoolSize;
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
    public Builder warnThreadsAwaiting(int warnThreadsAwaiting) {
      if (warnThreadsAwaiting < 1) {
        throw new IllegalArgumentException(
            "warnThreadsAwaiting must be at least 1, but was " + warnThreadsAwaiting);
      }
      this.warnThreadsAwaiting = warnThreadsAwaiting;
      return this;
    }

    /**
     * @throws IllegalArgumentException if less than 1
     */
    public Builder failThreadsAwaiting(int failThreadsAwaiting) {
      if (failThreadsAwaiting < 1) {
        throw new IllegalArgumentException(
            "failThreadsAwaiting must be at least 1, but was " + failThreadsAwaiting);
      }
      this.failThreadsAwaiting = failThreadsAwaiting;
      return this;
    }

    /**
     * How long threads may keep waiting for a connection of a fully used pool before the probe
     * fails (sampled at each check, see the class Javadoc).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder failWaitingFor(Duration failWaitingFor) {
      if (failWaitingFor == null || failWaitingFor.isZero() || failWaitingFor.isNegative()) {
        throw new IllegalArgumentException(
            "failWaitingFor must be positive, but was " + failWaitingFor);
      }
      this.failWaitingFor = failWaitingFor;
      return this;
    }

    /**
     * A cumulative count of connection requests that timed out (e.g. HikariCP's {@code
     * hikaricp.connections.timeout} counter). Without one the acquire-timeout rule is off. Called
     * on the checker's thread at each check; it must not block.
     */
    public Builder acquireTimeouts(LongSupplier acquireTimeouts) {
      this.acquireTimeouts = Objects.requireNonNull(acquireTimeouts, "acquireTimeouts");
      return this;
    }

    /**
     * @throws IllegalArgumentException if less than 1
     */
    public Builder failAcquireTimeouts(int failAcquireTimeouts) {
      if (failAcquireTimeouts < 1) {
        throw new IllegalArgumentException(
            "failAcquireTimeouts must be at least 1, but was " + failAcquireTimeouts);
      }
      this.failAcquireTimeouts = failAcquireTimeouts;
      return this;
    }

    /**
     * How long an acquire timeout keeps the probe failing after a check first saw it.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder acquireTimeoutWindow(Duration acquireTimeoutWindow) {
      if (acquireTimeoutWindow == null
          || acquireTimeoutWindow.isZero()
          || acquireTimeoutWindow.isNegative()) {
        throw new IllegalArgumentException(
            "acquireTimeoutWindow must be positive, but was " + acquireTimeoutWindow);
      }
      this.acquireTimeoutWindow = acquireTimeoutWindow;
      return this;
    }

    /**
     * @throws IllegalStateException if failThreadsAwaiting is set and not greater than
     *     warnThreadsAwaiting
     */
    public HikariPoolProbe build() {
      if (failThreadsAwaiting != null && failThreadsAwaiting <= warnThreadsAwaiting) {
        throw new IllegalStateException(
            "failThreadsAwaiting ("
                + failThreadsAwaiting
                + ") must be greater than warnThreadsAwaiting ("
                + warnThreadsAwaiting
                + ")");
      }
      return new HikariPoolProbe(this);
    }
  }
}
