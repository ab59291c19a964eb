package io.github.reliability4j.core.health.probes;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.health.internal.Checks;
import java.time.Duration;
import java.util.Objects;

/**
 * Compares a percentile of the latencies the application records in a {@link LatencyRecorder}
 * against an objective: {@code FAIL} at or above {@code failAbove} (if set), {@code WARN} above the
 * {@code objective}, else {@code PASS}. With fewer than {@code minSamples} samples in the window
 * the result is {@code PASS} with output "not enough samples" — an idle instance is not slow.
 *
 * <p>Observed value: the percentile in milliseconds. Details: percentile, samples, objectiveMs.
 * Thread-safe.
 */
public final class LatencyObjectiveProbe implements Probe {
  private final LatencyRecorder recorder;
  private final double percentile;
  private final Duration objective;
  private final Duration failAbove;
  private final long minSamples;

  private LatencyObjectiveProbe(Builder b) {
    this.recorder = b.recorder;
    this.percentile = b.percentile;
    this.objective = b.objective;
    this.failAbove = b.failAbove;
    this.minSamples = b.minSamples;
  }

  public static Builder builder(LatencyRecorder recorder, Duration objective) {
    return new Builder(recorder, objective);
  }

  @Override
  public ProbeResult check(ProbeContext context) {
    LatencyRecorder.Summary summary = recorder.summary();
    Duration observed = summary.percentile(percentile);
    String label = "p" + formatPercentile(percentile);
    HealthStatus status;
    String output;
    if (summary.count() < minSamples) {
      status = HealthStatus.PASS;
      output = "not enough samples (" + summary.count() + " < " + minSamples + ")";
    } else if (failAbove != null && observed.compareTo(failAbove) >= 0) {
      status = HealthStatus.FAIL;
      output = label + " " + observed + " ≥ failAbove " + failAbove;
    } else if (observed.compareTo(objective) > 0) {
      status = HealthStatus.WARN;
      output = label + " " + observed + " > objective " + objective;
    } else {
      status = HealthStatus.PASS;
      output = label + " " + observed + " within objective " + objective;
    }
    return ProbeResult.builder(status)
        .observed(observed.toNanos() / 10_000 / 100.0, "ms")
        .output(output)
        .detail("percentile", percentile)
        .detail("samples", summary.count())
        .detail("objectiveMs", objective.toMillis())
        .build();
  }

  private static String formatPercentile(double p) {
    String s = Double.toString(p * 100);
    return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
  }

  /** Builds a {@link LatencyObjectiveProbe}. Not thread-safe. */
  public static final class Builder {
    private final LatencyRecorder recorder;
    private final Duration objective;
    private double percentile = 0.99;
    private Duration failAbove;
    private long minSamples = 20;

    private Builder(LatencyRecorder recorder, Duration objective) {
      this.recorder = Objects.requireNonNull(recorder, "recorder");
      this.objective = Checks.positive("objective", objective);
    }

    /**
     * @throws IllegalArgumentException if outside (0, 1]
     */
    public Builder percentile(double percentile) {
      if (!(percentile > 0 && percentile <= 1)) {
        throw new IllegalArgumentException("percentile must be in (0, 1], but was " + percentile);
      }
      this.percentile = percentile;
      return this;
    }

    /**
     * @throws IllegalArgumentException if not positive
     */
    public Builder failAbove(Duration failAbove) {
      this.failAbove = Checks.positive("failAbove", failAbove);
      return this;
    }

    /**
     * @throws IllegalArgumentException if negative
     */
    public Builder minSamples(long minSamples) {
      if (minSamples < 0) {
        throw new IllegalArgumentException("minSamples must be at least 0, but was " + minSamples);
      }
      this.minSamples = minSamples;
      return this;
    }

    /**
     * @throws IllegalStateException if failAbove is not greater than the objective
     */
    public LatencyObjectiveProbe build() {
      if (failAbove != null && failAbove.compareTo(objective) <= 0) {
        throw new IllegalStateException(
            "failAbove (" + failAbove + ") must be greater than objective (" + objective + ")");
      }
      return new LatencyObjectiveProbe(this);
    }
  }
}
