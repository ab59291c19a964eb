package io.github.reliability4j.core.health;

import io.github.reliability4j.core.health.internal.Checks;
import java.time.Duration;

/**
 * The schedule and hysteresis settings shared by {@link HealthCheckerConfig.Builder} (where they
 * are the defaults of every probe) and {@link ProbeRegistration.Builder} (where they override the
 * defaults for one probe): written once, so both builders accept the same values with the same
 * messages. A setting never set stays {@code null} here; the checker builder starts from its
 * documented defaults, a registration leaves unset settings to the checker.
 *
 * <p>Setters validate at once. Not thread-safe.
 *
 * @param <B> the concrete builder, returned by every setter
 */
abstract class ProbeScheduleBuilder<B extends ProbeScheduleBuilder<B>> {
  Duration interval;
  Duration failingInterval;
  Duration deadline;
  Duration maxAge;
  Double jitter;
  Integer failureThreshold;
  Integer recoveryThreshold;

  ProbeScheduleBuilder() {}

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /** Copies every schedule setting of {@code other}. */
  void copyScheduleFrom(ProbeScheduleBuilder<?> other) {
    interval = other.interval;
    failingInterval = other.failingInterval;
    deadline = other.deadline;
    maxAge = other.maxAge;
    jitter = other.jitter;
    failureThreshold = other.failureThreshold;
    recoveryThreshold = other.recoveryThreshold;
  }

  /**
   * Sets the time between the end of one evaluation and the start of the next while passing.
   *
   * @throws IllegalArgumentException if not positive
   */
  public B interval(Duration interval) {
    this.interval = Checks.positive("interval", interval);
    return self();
  }

  /**
   * Sets the re-check interval while the latest result is not {@code PASS}.
   *
   * @throws IllegalArgumentException if not positive
   */
  public B failingInterval(Duration failingInterval) {
    this.failingInterval = Checks.positive("failingInterval", failingInterval);
    return self();
  }

  /**
   * Sets the evaluation deadline; the probe is cancelled when it passes. It counts from the moment
   * the probe starts running on a worker, so waiting for a busy pool never makes the probe time
   * out; a probe that cannot get a worker is covered by {@link #maxAge(Duration) maxAge}.
   *
   * @throws IllegalArgumentException if not positive
   */
  public B deadline(Duration deadline) {
    this.deadline = Checks.positive("deadline", deadline);
    return self();
  }

  /**
   * Sets the age after which the latest result is reported as {@code UNKNOWN}, whether because
   * evaluation stopped or because the probe's next evaluation has been waiting that long for a
   * worker.
   *
   * @throws IllegalArgumentException if not positive
   */
  public B maxAge(Duration maxAge) {
    this.maxAge = Checks.positive("maxAge", maxAge);
    return self();
  }

  /**
   * Sets the jitter fraction in [0, 1): each delay is shortened by a random part of up to this
   * fraction, so probes registered together do not run in lockstep.
   *
   * @throws IllegalArgumentException if outside [0, 1)
   */
  public B jitter(double jitter) {
    this.jitter = Checks.fraction("jitter", jitter, 0.0, 1.0);
    return self();
  }

  /**
   * Sets how many consecutive worse results are needed before the reported status worsens.
   *
   * @throws IllegalArgumentException if less than 1
   */
  public B failureThreshold(int failureThreshold) {
    this.failureThreshold = Checks.atLeast("failureThreshold", failureThreshold, 1);
    return self();
  }

  /**
   * Sets how many consecutive better results are needed before the reported status improves.
   *
   * @throws IllegalArgumentException if less than 1
   */
  public B recoveryThreshold(int recoveryThreshold) {
    this.recoveryThreshold = Checks.atLeast("recoveryThreshold", recoveryThreshold, 1);
    return self();
  }
}
