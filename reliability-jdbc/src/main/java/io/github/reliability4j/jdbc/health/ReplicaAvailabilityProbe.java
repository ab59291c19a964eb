package io.github.reliability4j.jdbc.health;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.routing.ReplicaLagView;
import io.github.reliability4j.core.routing.ReplicaStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Counts available replicas from a {@link ReplicaLagView} (the routing DataSource's {@code
 * lagView()}): {@code PASS} when every expected replica is available, {@code WARN} when some are
 * not but at least {@code minAvailable} are, {@code FAIL} below {@code minAvailable}. A replica
 * counts as available when it is admitted for reads, its last probe did not fail and its last
 * sample is not older than {@code maxSampleAge} (the same rule as {@link ReplicaLagProbe}'s).
 * Expected replicas missing from the view count as unavailable. Observed value: the number of
 * available replicas (unit {@code count}). Runs no query. Thread-safe.
 */
public final class ReplicaAvailabilityProbe implements Probe {
  private final ReplicaLagView view;
  private final int minAvailable;
  private final Set<String> expected;
  private final Duration maxSampleAge;
  private final Clock clock;

  private ReplicaAvailabilityProbe(Builder b) {
    this.view = b.view;
    this.minAvailable = b.minAvailable;
    this.expected = b.expected;
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
    Set<String> known = new LinkedHashSet<>(expected);
    List<String> available = new ArrayList<>();
    List<String> unavailable = new ArrayList<>();
    for (ReplicaStatus s : view.replicas()) {
      known.add(s.name());
      if (ReplicaReadings.available(s) && ReplicaReadings.fresh(s, clock, maxSampleAge)) {
        available.add(s.name());
      }
    }
    for (String r : known) {
      if (!available.contains(r)) {
        unavailable.add(r);
      }
    }
    HealthStatus status;
    if (available.size() < minAvailable) {
      status = HealthStatus.FAIL;
    } else if (!unavailable.isEmpty()) {
      status = HealthStatus.WARN;
    } else {
      status = HealthStatus.PASS;
    }
    return ProbeResult.builder(status)
        .observed(available.size(), "count")
        .output(
            available.size()
                + " of "
                + known.size()
                + " replicas available, "
                + minAvailable
                + " required"
                + (unavailable.isEmpty() ? "" : "; unavailable: " + unavailable))
        .detail("available", String.join(",", available))
        .detail("unavailable", String.join(",", unavailable))
        .build();
  }

  /** Builds a {@link ReplicaAvailabilityProbe}. Not thread-safe. */
  public static final class Builder {
    private final ReplicaLagView view;
    private int minAvailable = 1;
    private Set<String> expected = Set.of();
    private Duration maxSampleAge = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();

    private Builder(ReplicaLagView view) {
      this.view = Objects.requireNonNull(view, "view");
    }

    /**
     * @throws IllegalArgumentException if less than 1
     */
    public Builder minAvailable(int minAvailable) {
      if (minAvailable < 1) {
        throw new IllegalArgumentException(
            "minAvailable must be at least 1, but was " + minAvailable);
      }
      this.minAvailable = minAvailable;
      return this;
    }

    /** Names the replicas that should exist, so one missing from the view is noticed. */
    public Builder expectedReplicas(String... replicas) {
      Set<String> set = new LinkedHashSet<>();
      for (String r : replicas) {
        set.add(Objects.requireNonNull(r, "replica"));
      }
      this.expected = set;
      return this;
    }

    /**
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxSampleAge(Duration maxSampleAge) {
      this.maxSampleAge = ReplicaLagProbe.Builder.positive("maxSampleAge", maxSampleAge);
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @throws IllegalStateException if expected replicas are named and minAvailable exceeds their
     *     number (k &gt; n)
     */
    public ReplicaAvailabilityProbe build() {
      if (!expected.isEmpty() && minAvailable > expected.size()) {
        throw new IllegalStateException(
            "minAvailable ("
                + minAvailable
                + ") exceeds the number of expected replicas ("
                + expected.size()
                + ")");
      }
      return new ReplicaAvailabilityProbe(this);
    }
  }
}
