package io.github.reliability4j.redis.health;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.health.probes.LatencyRecorder;
import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import io.github.reliability4j.redis.idempotency.RedisIdempotencyStore;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Health of a {@link RedisIdempotencyStore}: one {@code PING} (bounded by the probe's deadline and
 * the store's command timeout), the p99 latency of the store's own calls over the last minute, and
 * the state of the engine's circuit breaker around the store.
 *
 * <ul>
 *   <li>{@code FAIL}: Redis did not answer the PING in time, or answered an error.
 *   <li>{@code WARN}: the breaker is not closed (OPEN, HALF_OPEN, FORCED_OPEN: the engine is
 *       applying its outage policy), or the PING or the p99 of store calls exceeds the latency
 *       objective.
 *   <li>{@code PASS} otherwise.
 * </ul>
 *
 * <p>Observed value: PING round trip in milliseconds. Details: breakerState, p99Ms, samples,
 * objectiveMs. Register it as {@code DEGRADING} for readiness so an open breaker drains traffic
 * without restarting pods. Thread-safe.
 */
public final class RedisStoreProbe implements Probe {

  private final RedisIdempotencyStore store;
  private final CircuitBreaker breaker;
  private final Duration objective;

  private RedisStoreProbe(Builder b) {
    this.store = b.store;
    this.breaker = b.breaker;
    this.objective = b.objective;
  }

  public static Builder builder(RedisIdempotencyStore store) {
    return new Builder(store);
  }

  @Override
  public ProbeResult check(ProbeContext context) {
    LatencyRecorder.Summary calls = store.latencyRecorder().summary();
    Duration p99 = calls.percentile(0.99);
    String breakerState = breaker == null ? "NONE" : breaker.getState().name();
    Duration elapsed = Duration.between(context.startedAt(), Instant.now());
    Duration remaining = context.deadline().minus(elapsed);
    Duration ping;
    try {
      ping =
          store.ping(
              remaining.isNegative() || remaining.isZero() ? Duration.ofMillis(1) : remaining);
    } catch (IdempotencyStoreException e) {
      return ProbeResult.builder(HealthStatus.FAIL)
          .output("Redis idempotency store unreachable: " + e.getMessage())
          .detail("breakerState", breakerState)
          .detail("p99Ms", millis(p99))
          .detail("samples", calls.count())
          .build();
    }
    HealthStatus status = HealthStatus.PASS;
    String output = "PING " + ping.toMillis() + " ms, p99 of store calls " + millis(p99) + " ms";
    if (breaker != null
        && breaker.getState() != CircuitBreaker.State.CLOSED
        && breaker.getState() != CircuitBreaker.State.DISABLED
        && breaker.getState() != CircuitBreaker.State.METRICS_ONLY) {
      status = HealthStatus.WARN;
      output = "circuit breaker '" + breaker.getName() + "' is " + breakerState + "; " + output;
    } else if (ping.compareTo(objective) > 0
        || (calls.count() > 0 && p99.compareTo(objective) > 0)) {
      status = HealthStatus.WARN;
      output = output + " above objective " + objective.toMillis() + " ms";
    }
    return ProbeResult.builder(status)
        .observed(millis(ping), "ms")
        .output(output)
        .detail("breakerState", breakerState)
        .detail("p99Ms", millis(p99))
        .detail("samples", calls.count())
        .detail("objectiveMs", objective.toMillis())
        .build();
  }

  private static double millis(Duration d) {
    return d.toNanos() / 10_000 / 100.0;
  }

  /** Builds a {@link RedisStoreProbe}. Not thread-safe. */
  public static final class Builder {
    private final RedisIdempotencyStore store;
    private CircuitBreaker breaker;
    private Duration objective = Duration.ofMillis(50);

    private Builder(RedisIdempotencyStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /** The engine's breaker around the store ({@code Idempotency.getCircuitBreaker()}). */
    public Builder circuitBreaker(CircuitBreaker breaker) {
      this.breaker = Objects.requireNonNull(breaker, "breaker");
      return this;
    }

    /**
     * Latency objective for PING and the p99 of store calls; default 50 ms.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder latencyObjective(Duration objective) {
      Objects.requireNonNull(objective, "objective");
      if (objective.isNegative() || objective.isZero()) {
        throw new IllegalArgumentException(
            "latencyObjective must be positive, but was " + objective);
      }
      this.objective = objective;
      return this;
    }

    public RedisStoreProbe build() {
      return new RedisStoreProbe(this);
    }
  }
}
