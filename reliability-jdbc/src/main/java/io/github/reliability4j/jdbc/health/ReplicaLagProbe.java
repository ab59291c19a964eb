package io.github.reliability4j.jdbc.health;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.routing.ReplicaLagView;
import io.github.reliability4j.core.routing.ReplicaStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reports replica lag from a {@link ReplicaLagView} (the routing DataSource's {@code lagView()}:
 * what its lag monitor last measured), for one named replica or for all (the worst one counts).
 * Runs no query and never blocks.
 *
 * <p>Per replica, first match wins:
 *
 * <ol>
 *   <li>{@code FAIL} if the replica is not listed, or not available: not admitted for reads, or its
 *       last probe failed (the output carries the failure's message).
 *   <li>{@code UNKNOWN} if it was never sampled, or its sample is older than {@code maxSampleAge}
 *       (a dead lag monitor must not keep reporting a replica as current).
 *   <li>{@code FAIL} if lag ≥ {@code failLag} or lagBytes ≥ {@code failLagBytes}.
 *   <li>{@code WARN} if lag ≥ {@code warnLag} or lagBytes ≥ {@code warnLagBytes}.
 *   <li>{@code PASS} otherwise.
 * </ol>
 *
 * Defaults: warnLag 1 s, failLag 30 s, byte thresholds off, maxSampleAge 30 s. Register it with
 * weight DEGRADING in readiness when the application can fall back to the primary: a lagging
 * replica degrades the service but does not stop it. Observed value: the largest time lag in ms, or
 * if no time lag is known the largest byte lag in bytes. Thread-safe.
 */
public final class ReplicaLagProbe implements Probe {
  private final ReplicaLagView view;
  private final String replica;
  private final Duration warnLag;
  private final Duration failLag;
  private final long warnLagBytes;
  private final long failLagBytes;
  private final Duration maxSampleAge;
  private final Clock clock;

  private ReplicaLagProbe(Builder b) {
    this.view = b.view;
    this.replica = b.replica;
    this.warnLag = b.warnLag;
    this.failLag = b.failLag;
    this.warnLagBytes = b.warnLagBytes;
    this.failLagBytes = b.failLagBytes;
    this.maxSampleAge = b.maxSampleAge;
    this.clock = b.clock;
  }

  /**
   * @param view the replicas as last measured, e.g. {@code ReplicaRoutingDataSource.lagView()}
   */
  public static Builder builder(ReplicaLagView view) {
    return new Builder(view);
  }

  @Override
  public ProbeResult check(ProbeContext context) {
    List<ReplicaStatus> samples = new ArrayList<>();
    for (ReplicaStatus s : view.replicas()) {
      if (replica == null || replica.equals(s.name())) {
        samples.add(s);
      }
    }
    if (samples.isEmpty()) {
      return ProbeResult.fail(
          replica == null ? "no replicas known" : "replica '" + replica + "' is not known");
    }
    HealthStatus worst = HealthStatus.PASS;
    String worstReason = null;
    Duration maxLag = null;
    long maxBytes = -1;
    ProbeResult.Builder result = ProbeResult.builder(HealthStatus.PASS);
    for (ReplicaStatus s : samples) {
      String[] reason = new String[1];
      HealthStatus status = judge(s, reason);
      result.detail(s.name(), status.name() + ": " + reason[0]);
      if (status.isWorseThan(worst) || worstReason == null) {
        worst = status.worst(worst);
        worstReason = s.name() + " " + reason[0];
      }
      Duration lag = ReplicaReadings.lag(s);
      if (lag != null && (maxLag == null || lag.compareTo(maxLag) > 0)) {
        maxLag = lag;
      }
      maxBytes = Math.max(maxBytes, ReplicaReadings.lagBytes(s));
    }
    if (maxLag != null) {
      result.observed(maxLag.toNanos() / 10_000 / 100.0, "ms");
    } else if (maxBytes >= 0) {
      result.observed(maxBytes, "bytes");
    }
    return result.status(worst).output(worstReason).build();
  }

  private HealthStatus judge(ReplicaStatus s, String[] reason) {
    if (!ReplicaReadings.available(s)) {
      reason[0] = "unavailable: " + ReplicaReadings.unavailableReason(s);
      return HealthStatus.FAIL;
    }
    Instant sampledAt = ReplicaReadings.sampledAt(s);
    if (sampledAt == null) {
      reason[0] = "never sampled";
      return HealthStatus.UNKNOWN;
    }
    Duration age = Duration.between(sampledAt, clock.instant());
    if (age.compareTo(maxSampleAge) > 0) {
      reason[0] = "sample is " + age + " old, older than maxSampleAge " + maxSampleAge;
      return HealthStatus.UNKNOWN;
    }
    Duration lagTime = ReplicaReadings.lag(s);
    long lagBytes = ReplicaReadings.lagBytes(s);
    String lag = "lag " + (lagTime == null ? "?" : lagTime) + ", " + lagBytes + " bytes";
    if ((lagTime != null && lagTime.compareTo(failLag) >= 0)
        || (lagBytes >= 0 && lagBytes >= failLagBytes)) {
      reason[0] = lag + " at or above the fail threshold";
      return HealthStatus.FAIL;
    }
    if ((lagTime != null && lagTime.compareTo(warnLag) >= 0)
        || (lagBytes >= 0 && lagBytes >= warnLagBytes)) {
      reason[0] = lag + " at or above the warn threshold";
      return HealthStatus.WARN;
    }
    reason[0] = lag;
    return HealthStatus.PASS;
  }

  /** Builds a {@link ReplicaLagProbe}. Not thread-safe. */
  public static final class Builder {
    private final ReplicaLagView view;
    private String replica;
    private Duration warnLag = Duration.ofSeconds(1);
    private Duration failLag = Duration.ofSeconds(30);
    private long warnLagBytes = Long.MAX_VALUE;
    private long failLagBytes = Long.MAX_VALUE;
    private Duration maxSampleAge = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();

    private Builder(ReplicaLagView view) {
      this.view = Objects.requireNonNull(view, "view");
    }

    /** Reports only this replica (default: all, worst counts). */
    public Builder replica(String replica) {
      this.replica = Objects.requireNonNull(replica, "replica");
      return this;
    }

    /**
     * @throws IllegalArgumentException if not positive
     */
    public Builder warnLag(Duration warnLag) {
      this.warnLag = positive("warnLag", warnLag);
      return this;
    }

    /**
     * @throws IllegalArgumentException if not positive
     */
    public Builder failLag(Duration failLag) {
      this.failLag = positive("failLag", failLag);
      return this;
    }

    /**
     * @throws IllegalArgumentException if less than 1
     */
    public Builder warnLagBytes(long warnLagBytes) {
      this.warnLagBytes = atLeastOne("warnLagBytes", warnLagBytes);
      return this;
    }

    /**
     * @throws IllegalArgumentException if less than 1
     */
    public Builder failLagBytes(long failLagBytes) {
      this.failLagBytes = atLeastOne("failLagBytes", failLagBytes);
      return this;
    }

    /**
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxSampleAge(Duration maxSampleAge) {
      this.maxSampleAge = positive("maxSampleAge", maxSampleAge);
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @throws IllegalStateException if a warn threshold is above its fail threshold
     */
    public ReplicaLagProbe build() {
      if (warnLag.compareTo(failLag) > 0) {
        throw new IllegalStateException(
            "warnLag (" + warnLag + ") must not exceed failLag (" + failLag + ")");
      }
      if (warnLagBytes != Long.MAX_VALUE
          && failLagBytes != Long.MAX_VALUE
          && warnLagBytes > failLagBytes) {
        throw new IllegalStateException(
            "warnLagBytes ("
                + warnLagBytes
                + ") must not exceed failLagBytes ("
                + failLagBytes
                + ")");
      }
      return new ReplicaLagProbe(this);
    }

    static Duration positive(String setting, Duration d) {
      Objects.requireNonNull(d, setting);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(setting + " must be positive, but was " + d);
      }
      return d;
    }

    private static long atLeastOne(String setting, long v) {
      if (v < 1) {
        throw new IllegalArgumentException(setting + " must be at least 1, but was " + v);
      }
      return v;
    }
  }
}
