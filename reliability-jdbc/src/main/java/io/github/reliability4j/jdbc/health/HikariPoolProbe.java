package io.github.reliability4j.jdbc.health;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import java.util.Objects;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Reports HikariCP pool saturation from the pool's own {@link HikariPoolMXBean}; it never borrows a
 * connection, so it answers instantly even when the pool is exhausted.
 *
 * <p>Rules, first match wins (utilisation = active / maximumPoolSize):
 *
 * <ol>
 *   <li>{@code UNKNOWN} if the pool has not started or is closed.
 *   <li>{@code FAIL} if at least {@code failThreadsAwaiting} threads wait for a connection
 *       (default: maximumPoolSize — the queue of waiters is as long as the pool).
 *   <li>{@code WARN} if utilisation ≥ {@code warnUtilization} (default 0.9) or at least {@code
 *       warnThreadsAwaiting} threads wait (default 1).
 *   <li>{@code PASS} otherwise.
 * </ol>
 *
 * <p>A saturated pool is a readiness (or degrading) signal, never a liveness one: restarting an
 * instance does not make the database faster. Observed value: utilisation in percent (measurement
 * suggestion {@code utilization}). Details: active, idle, total, maximumPoolSize, threadsAwaiting.
 *
 * <p>HikariCP is an optional dependency of reliability-jdbc; this class needs it on the class path.
 * Thread-safe.
 */
public final class HikariPoolProbe implements Probe {
  private final Supplier<HikariPoolMXBean> pool;
  private final IntSupplier maximumPoolSize;
  private final double warnUtilization;
  private final int warnThreadsAwaiting;
  private final Integer failThreadsAwaiting;

  private HikariPoolProbe(Builder b) {
    this.pool = b.pool;
    this.maximumPoolSize = b.maximumPoolSize;
    this.warnUtilization = b.warnUtilization;
    this.warnThreadsAwaiting = b.warnThreadsAwaiting;
    this.failThreadsAwaiting = b.failThreadsAwaiting;
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
  public ProbeResult check(ProbeContext context) {
    HikariPoolMXBean bean = pool.get();
    if (bean == null) {
      return ProbeResult.builder(HealthStatus.UNKNOWN)
          .output("pool is not running (not started yet, or closed)")
          .build();
    }
    int active = bean.getActiveConnections();
    int idle = bean.getIdleConnections();
    int total = bean.getTotalConnections();
    int waiting = bean.getThreadsAwaitingConnection();
    int max = maximumPoolSize.getAsInt();
    double utilization = max <= 0 ? 0 : (double) active / max;
    int failAt = failThreadsAwaiting != null ? failThreadsAwaiting : Math.max(1, max);
    String stats =
        "(total=" + total + ", active=" + active + ", idle=" + idle + ", waiting=" + waiting + ")";
    HealthStatus status;
    String output;
    if (waiting >= failAt) {
      status = HealthStatus.FAIL;
      output = "pool exhausted: " + waiting + " threads waiting ≥ " + failAt + " " + stats;
    } else if (utilization >= warnUtilization || waiting >= warnThreadsAwaiting) {
      status = HealthStatus.WARN;
      output = "pool saturated: " + active + " of " + max + " connections in use " + stats;
    } else {
      status = HealthStatus.PASS;
      output = active + " of " + max + " connections in use " + stats;
    }
    return ProbeResult.builder(status)
        .observed(Math.round(utilization * 1000) / 10.0, "percent")
        .output(output)
        .detail("active", active)
        .detail("idle", idle)
        .detail("total", total)
        .detail("maximumPoolSize", max)
        .detail("threadsAwaiting", waiting)
        .build();
  }

  /** Builds a {@link HikariPoolProbe}. Not thread-safe. */
  public static final class Builder {
    private final Supplier<HikariPoolMXBean> pool;
    private final IntSupplier maximumPoolSize;
    private double warnUtilization = 0.9;
    private int warnThreadsAwaiting = 1;
    private Integer failThreadsAwaiting;

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
