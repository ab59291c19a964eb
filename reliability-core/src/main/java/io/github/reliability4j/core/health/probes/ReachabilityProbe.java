package io.github.reliability4j.core.health.probes;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.health.internal.Checks;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;

/**
 * Adapts any store's round trip ({@link ReachabilityCheck} or a {@link Callable}) into a probe that
 * reports reachability and latency: {@code FAIL} if the check throws or answers false, {@code FAIL}
 * if it took at least {@code failAbove}, {@code WARN} if at least {@code warnAbove}, else {@code
 * PASS}. Observed value: latency in milliseconds, key measurement {@code responseTime}.
 *
 * <pre>{@code
 * ProbeRegistration.builder("idempotency-store", ReachabilityProbe.builder(store::ping)
 *         .warnAbove(Duration.ofMillis(50)).build())
 *     .componentType("datastore").measurement("responseTime").build();
 * }</pre>
 *
 * <p>Thread-safe if the check is.
 */
public final class ReachabilityProbe implements Probe {
  private final ReachabilityCheck check;
  private final Duration warnAbove;
  private final Duration failAbove;
  private final LongSupplier nanoTime;

  private ReachabilityProbe(Builder b) {
    this.check = b.check;
    this.warnAbove = b.warnAbove;
    this.failAbove = b.failAbove;
    this.nanoTime = b.nanoTime;
  }

  public static ReachabilityProbe of(ReachabilityCheck check) {
    return builder(check).build();
  }

  /** Reachable if {@code call} returns anything but {@code Boolean.FALSE} without throwing. */
  public static ReachabilityProbe ofCallable(Callable<?> call) {
    Objects.requireNonNull(call, "call");
    return of(timeout -> !Boolean.FALSE.equals(call.call()));
  }

  public static Builder builder(ReachabilityCheck check) {
    return new Builder(check);
  }

  @Override
  public ProbeResult check(ProbeContext context) throws Exception {
    long start = nanoTime.getAsLong();
    boolean reachable = check.ping(context.deadline());
    Duration took = Duration.ofNanos(nanoTime.getAsLong() - start);
    double millis = took.toNanos() / 10_000 / 100.0;
    HealthStatus status;
    String output;
    if (!reachable) {
      status = HealthStatus.FAIL;
      output = "not reachable: the check answered false";
    } else if (failAbove != null && took.compareTo(failAbove) >= 0) {
      status = HealthStatus.FAIL;
      output = "reachable but slow: " + took + " ≥ failAbove " + failAbove;
    } else if (warnAbove != null && took.compareTo(warnAbove) >= 0) {
      status = HealthStatus.WARN;
      output = "reachable but slow: " + took + " ≥ warnAbove " + warnAbove;
    } else {
      status = HealthStatus.PASS;
      output = "reachable in " + took;
    }
    return ProbeResult.builder(status).observed(millis, "ms").output(output).build();
  }

  /** Builds a {@link ReachabilityProbe}. Not thread-safe. */
  public static final class Builder {
    private final ReachabilityCheck check;
    private Duration warnAbove;
    private Duration failAbove;
    private LongSupplier nanoTime = System::nanoTime;

    private Builder(ReachabilityCheck check) {
      this.check = Objects.requireNonNull(check, "check");
    }

    /**
     * @throws IllegalArgumentException if not positive
     */
    public Builder warnAbove(Duration warnAbove) {
      this.warnAbove = Checks.positive("warnAbove", warnAbove);
      return this;
    }

    /**
     * @throws IllegalArgumentException if not positive
     */
    public Builder failAbove(Duration failAbove) {
      this.failAbove = Checks.positive("failAbove", failAbove);
      return this;
    }

    /** Sets the ticker used to measure latency (default {@link System#nanoTime()}). */
    public Builder ticker(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
      return this;
    }

    /**
     * @throws IllegalStateException if warnAbove is not below failAbove
     */
    public ReachabilityProbe build() {
      if (warnAbove != null && failAbove != null && warnAbove.compareTo(failAbove) >= 0) {
        throw new IllegalStateException(
            "warnAbove (" + warnAbove + ") must be less than failAbove (" + failAbove + ")");
      }
      return new ReachabilityProbe(this);
    }
  }
}
