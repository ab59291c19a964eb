package io.github.reliability4j.core.health.probes;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * Reports a Resilience4j {@link CircuitBreaker}'s state without calling through it.
 *
 * <p>Default mapping: CLOSED, DISABLED, METRICS_ONLY → {@code PASS}; OPEN, HALF_OPEN, FORCED_OPEN →
 * {@code WARN}. An open breaker means the breaker is doing its job — protecting this instance from
 * a failing dependency — so it degrades health instead of failing it: failing readiness (or worse,
 * liveness) for an open breaker restarts or drains healthy instances. Override with {@link
 * Builder#map(CircuitBreaker.State, HealthStatus)}.
 *
 * <p>Observed value: failure rate in percent (-1 before the breaker has enough calls). Details:
 * state, failureRate, slowCallRate, bufferedCalls, failedCalls, notPermittedCalls. Thread-safe.
 */
public final class CircuitBreakerProbe implements Probe {
  private final CircuitBreaker breaker;
  private final Map<CircuitBreaker.State, HealthStatus> mapping;

  private CircuitBreakerProbe(Builder b) {
    this.breaker = b.breaker;
    this.mapping = new EnumMap<>(b.mapping);
  }

  public static CircuitBreakerProbe of(CircuitBreaker breaker) {
    return builder(breaker).build();
  }

  public static Builder builder(CircuitBreaker breaker) {
    return new Builder(breaker);
  }

  @Override
  public ProbeResult check(ProbeContext context) {
    CircuitBreaker.State state = breaker.getState();
    CircuitBreaker.Metrics m = breaker.getMetrics();
    return ProbeResult.builder(mapping.get(state))
        .observed(m.getFailureRate(), "percent")
        .output("circuit breaker '" + breaker.getName() + "' is " + state)
        .detail("state", state.name())
        .detail("failureRate", m.getFailureRate())
        .detail("slowCallRate", m.getSlowCallRate())
        .detail("bufferedCalls", m.getNumberOfBufferedCalls())
        .detail("failedCalls", m.getNumberOfFailedCalls())
        .detail("notPermittedCalls", m.getNumberOfNotPermittedCalls())
        .build();
  }

  /** Builds a {@link CircuitBreakerProbe}. Not thread-safe. */
  public static final class Builder {
    private final CircuitBreaker breaker;
    private final Map<CircuitBreaker.State, HealthStatus> mapping =
        new EnumMap<>(CircuitBreaker.State.class);

    private Builder(CircuitBreaker breaker) {
      this.breaker = Objects.requireNonNull(breaker, "breaker");
      for (CircuitBreaker.State s : CircuitBreaker.State.values()) {
        mapping.put(s, HealthStatus.PASS);
      }
      mapping.put(CircuitBreaker.State.OPEN, HealthStatus.WARN);
      mapping.put(CircuitBreaker.State.HALF_OPEN, HealthStatus.WARN);
      mapping.put(CircuitBreaker.State.FORCED_OPEN, HealthStatus.WARN);
    }

    /** Maps a breaker state to a status, e.g. {@code map(OPEN, FAIL)}. */
    public Builder map(CircuitBreaker.State state, HealthStatus status) {
      mapping.put(Objects.requireNonNull(state, "state"), Objects.requireNonNull(status, "status"));
      return this;
    }

    public CircuitBreakerProbe build() {
      return new CircuitBreakerProbe(this);
    }
  }
}
