package io.github.reliability4j.core.health;

import io.github.reliability4j.core.health.internal.Checks;
import java.time.Duration;
import java.util.Optional;

/**
 * Defaults for every probe of a {@link HealthChecker} (each {@link ProbeRegistration} may override
 * them) and the evaluator's own settings.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><td>interval</td><td>10 s</td><td>between evaluations while passing</td></tr>
 *   <tr><td>failingInterval</td><td>2 s</td><td>between evaluations while not passing</td></tr>
 *   <tr><td>deadline</td><td>2 s</td><td>per evaluation, from when the probe starts running;
 *   cancelled after it</td></tr>
 *   <tr><td>maxAge</td><td>3 × (interval + deadline)</td><td>older results become UNKNOWN,
 *   also when a probe cannot get a worker</td></tr>
 *   <tr><td>jitter</td><td>0.1</td><td>fraction a delay may be shortened by</td></tr>
 *   <tr><td>failureThreshold</td><td>1</td><td>consecutive worse results to worsen</td></tr>
 *   <tr><td>recoveryThreshold</td><td>2</td><td>consecutive better results to improve</td></tr>
 *   <tr><td>concurrency</td><td>4</td><td>worker threads of the internal evaluator pool</td></tr>
 *   <tr><td>requireStartupSignal</td><td>false</td><td>startup also waits for
 *   {@link HealthChecker#markStartupComplete()}</td></tr>
 * </table>
 *
 * <p>Immutable and thread-safe.
 */
public final class HealthCheckerConfig {
  private final Duration interval;
  private final Duration failingInterval;
  private final Duration deadline;
  private final Duration maxAge;
  private final double jitter;
  private final int failureThreshold;
  private final int recoveryThreshold;
  private final int concurrency;
  private final boolean requireStartupSignal;

  private HealthCheckerConfig(Builder b) {
    this.interval = b.interval;
    this.failingInterval = b.failingInterval;
    this.deadline = b.deadline;
    this.maxAge = b.maxAge;
    this.jitter = b.jitter;
    this.failureThreshold = b.failureThreshold;
    this.recoveryThreshold = b.recoveryThreshold;
    this.concurrency = b.concurrency;
    this.requireStartupSignal = b.requireStartupSignal;
  }

  public static HealthCheckerConfig ofDefaults() {
    return custom().build();
  }

  public static Builder custom() {
    return new Builder();
  }

  /** Returns a builder initialised from {@code base}. */
  public static Builder from(HealthCheckerConfig base) {
    Builder b = new Builder();
    b.interval = base.interval;
    b.failingInterval = base.failingInterval;
    b.deadline = base.deadline;
    b.maxAge = base.maxAge;
    b.jitter = base.jitter;
    b.failureThreshold = base.failureThreshold;
    b.recoveryThreshold = base.recoveryThreshold;
    b.concurrency = base.concurrency;
    b.requireStartupSignal = base.requireStartupSignal;
    return b;
  }

  public Duration interval() {
    return interval;
  }

  public Duration failingInterval() {
    return failingInterval;
  }

  public Duration deadline() {
    return deadline;
  }

  /** Returns the configured max age, or empty when it is derived per probe. */
  public Optional<Duration> maxAge() {
    return Optional.ofNullable(maxAge);
  }

  public double jitter() {
    return jitter;
  }

  public int failureThreshold() {
    return failureThreshold;
  }

  public int recoveryThreshold() {
    return recoveryThreshold;
  }

  public int concurrency() {
    return concurrency;
  }

  public boolean requireStartupSignal() {
    return requireStartupSignal;
  }

  /**
   * Builds a {@link HealthCheckerConfig}; setters validate at once. The schedule settings ({@code
   * interval}, {@code failingInterval}, {@code deadline}, {@code maxAge}, {@code jitter}, {@code
   * failureThreshold}, {@code recoveryThreshold}) are shared with {@link
   * ProbeRegistration.Builder}; here they are the defaults of every probe (see the table above).
   * Not thread-safe.
   */
  public static final class Builder extends ProbeScheduleBuilder<Builder> {
    private int concurrency = 4;
    private boolean requireStartupSignal;

    private Builder() {
      interval = Duration.ofSeconds(10);
      failingInterval = Duration.ofSeconds(2);
      deadline = Duration.ofSeconds(2);
      jitter = 0.1;
      failureThreshold = 1;
      recoveryThreshold = 2;
    }

    /**
     * Sets the number of worker threads of the internal evaluator pool. A probe that ignores
     * cancellation keeps its thread; the pool then adds one replacement thread per such probe, so
     * the thread count never exceeds {@code concurrency + number of probes}.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder concurrency(int concurrency) {
      this.concurrency = Checks.atLeast("concurrency", concurrency, 1);
      return this;
    }

    /** Makes startup wait for {@link HealthChecker#markStartupComplete()} too. */
    public Builder requireStartupSignal(boolean requireStartupSignal) {
      this.requireStartupSignal = requireStartupSignal;
      return this;
    }

    public HealthCheckerConfig build() {
      return new HealthCheckerConfig(this);
    }
  }
}
