package io.github.reliability4j.core.health;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The immutable result of one probe evaluation: a status, an optional observed value with its unit,
 * an output message, the time it was observed, and free-form details.
 *
 * <p>Probes build results with {@link #pass()}, {@link #warn(String)}, {@link #fail(String)} or
 * {@link #builder(HealthStatus)}. The evaluator stamps the {@link #time()}, {@link #duration()} and
 * {@link #outcome()}: whatever a probe sets there is replaced. Observed values and detail values
 * must be {@link Number}, {@link Boolean}, {@link CharSequence} or {@code null}; anything else is
 * stored as its {@code toString()}.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ProbeResult {

  /** How an evaluation ended. The outcome is set by the evaluator, never by a probe. */
  public enum Outcome {
    /** The probe returned this result before its deadline. */
    COMPLETED,
    /** The probe did not return before its deadline and was cancelled (interrupted). */
    TIMED_OUT,
    /** The probe threw; the status is {@code FAIL} and the output holds the exception message. */
    THREW,
    /** The evaluator could not start the probe (its executor rejected the task). */
    REJECTED,
    /** The probe has not been evaluated yet. */
    PENDING,
    /** The last result is older than the probe's maximum age; the status is {@code UNKNOWN}. */
    STALE
  }

  private final HealthStatus status;
  private final Object observedValue;
  private final String observedUnit;
  private final String output;
  private final Instant time;
  private final Duration duration;
  private final Outcome outcome;
  private final Map<String, Object> details;
  private final Throwable error;

  private ProbeResult(Builder b) {
    this.status = b.status;
    this.observedValue = b.observedValue;
    this.observedUnit = b.observedUnit;
    this.output = b.output;
    this.time = b.time;
    this.duration = b.duration;
    this.outcome = b.outcome;
    this.details = Collections.unmodifiableMap(new LinkedHashMap<>(b.details));
    this.error = b.error;
  }

  /** Returns a {@code PASS} result without observed value or output. */
  public static ProbeResult pass() {
    return builder(HealthStatus.PASS).build();
  }

  /** Returns a {@code WARN} result with {@code output}. */
  public static ProbeResult warn(String output) {
    return builder(HealthStatus.WARN).output(output).build();
  }

  /** Returns a {@code FAIL} result with {@code output}. */
  public static ProbeResult fail(String output) {
    return builder(HealthStatus.FAIL).output(output).build();
  }

  /** Returns a builder for a result with {@code status}. */
  public static Builder builder(HealthStatus status) {
    return new Builder(status);
  }

  /** Returns a builder initialised from this result. */
  public Builder toBuilder() {
    Builder b = new Builder(status);
    b.observedValue = observedValue;
    b.observedUnit = observedUnit;
    b.output = output;
    b.time = time;
    b.duration = duration;
    b.outcome = outcome;
    b.details.putAll(details);
    b.error = error;
    return b;
  }

  public HealthStatus status() {
    return status;
  }

  /** Returns the observed value (a Number, Boolean or String), or {@code null}. */
  public Object observedValue() {
    return observedValue;
  }

  /** Returns the unit of {@link #observedValue()} (e.g. {@code ms}, {@code percent}), or null. */
  public String observedUnit() {
    return observedUnit;
  }

  /** Returns a human-readable message, or {@code null}. May contain sensitive text. */
  public String output() {
    return output;
  }

  /** Returns when the evaluation finished (evaluator clock), or {@code null} if never run. */
  public Instant time() {
    return time;
  }

  /** Returns how long the evaluation took (evaluator clock), or {@code null}. */
  public Duration duration() {
    return duration;
  }

  public Outcome outcome() {
    return outcome;
  }

  /** Returns free-form details in insertion order; unmodifiable. */
  public Map<String, Object> details() {
    return details;
  }

  /** Returns the exception a probe threw ({@link Outcome#THREW}), or {@code null}. */
  public Throwable error() {
    return error;
  }

  @Override
  public String toString() {
    return "ProbeResult{"
        + status
        + ", outcome="
        + outcome
        + (observedValue == null ? "" : ", observed=" + observedValue + " " + observedUnit)
        + (output == null ? "" : ", output='" + output + "'")
        + (time == null ? "" : ", time=" + time)
        + '}';
  }

  /** Builds a {@link ProbeResult}. Not thread-safe. */
  public static final class Builder {
    private HealthStatus status;
    private Object observedValue;
    private String observedUnit;
    private String output;
    private Instant time;
    private Duration duration;
    private Outcome outcome = Outcome.COMPLETED;
    private final Map<String, Object> details = new LinkedHashMap<>();
    private Throwable error;

    private Builder(HealthStatus status) {
      this.status = Objects.requireNonNull(status, "status");
    }

    public Builder status(HealthStatus status) {
      this.status = Objects.requireNonNull(status, "status");
      return this;
    }

    /** Sets the observed value and its unit, e.g. {@code observed(42, "ms")}. */
    public Builder observed(Object value, String unit) {
      this.observedValue = normalize(value);
      this.observedUnit = unit;
      return this;
    }

    public Builder output(String output) {
      this.output = output;
      return this;
    }

    /** Adds a detail; values are normalised like observed values. */
    public Builder detail(String key, Object value) {
      details.put(Objects.requireNonNull(key, "key"), normalize(value));
      return this;
    }

    Builder time(Instant time) {
      this.time = time;
      return this;
    }

    Builder duration(Duration duration) {
      this.duration = duration;
      return this;
    }

    Builder outcome(Outcome outcome) {
      this.outcome = outcome;
      return this;
    }

    Builder error(Throwable error) {
      this.error = error;
      return this;
    }

    public ProbeResult build() {
      return new ProbeResult(this);
    }

    private static Object normalize(Object value) {
      if (value == null
          || value instanceof Number
          || value instanceof Boolean
          || value instanceof String) {
        return value;
      }
      return value.toString();
    }
  }
}
