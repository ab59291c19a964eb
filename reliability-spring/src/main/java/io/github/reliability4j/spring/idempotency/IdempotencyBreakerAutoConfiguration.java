package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeWeight;
import io.github.reliability4j.core.health.probes.CircuitBreakerProbe;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Makes the idempotency engine's store circuit breaker visible: a readiness probe {@code
 * idempotency-store} and, with Micrometer, meters.
 *
 * <p>The probe is <em>degrading</em>: an open breaker warns (readiness stays 200). Every instance
 * shares the store, so failing readiness for its outage would drain all of them at once without
 * moving a request to a healthier place; what callers get meanwhile is the {@link
 * io.github.reliability4j.core.idempotency.OutagePolicy}'s decision (503 under fail-closed, an
 * undeduplicated execution under fail-open).
 *
 * <p>Meters: {@code reliability.idempotency.breaker.state} (gauge per tag {@code state}: 1 for the
 * current state, 0 for the others) and {@code reliability.idempotency.breaker.calls} (counter, tag
 * {@code outcome}: {@code success}, {@code failure}, {@code not_permitted}, {@code ignored}).
 * Counters are driven by the breaker's own events on the calling thread.
 */
@AutoConfiguration(after = IdempotencyAutoConfiguration.class)
@ConditionalOnBean(Idempotency.class)
public class IdempotencyBreakerAutoConfiguration {

  public static final String PROBE = "idempotency-store";
  public static final String STATE = "reliability.idempotency.breaker.state";
  public static final String CALLS = "reliability.idempotency.breaker.calls";

  @Bean
  @ConditionalOnMissingBean(name = "reliabilityIdempotencyBreakerProbe")
  ProbeRegistration reliabilityIdempotencyBreakerProbe(Idempotency idempotency) {
    return ProbeRegistration.builder(PROBE, CircuitBreakerProbe.of(idempotency.getCircuitBreaker()))
        .componentType("datastore")
        .measurement("circuitBreaker")
        .kinds(ProbeKind.READINESS, ProbeKind.DEEP)
        .weight(ProbeWeight.DEGRADING)
        .internal()
        .build();
  }

  /** Micrometer meters of the breaker; bound by Spring Boot to every MeterRegistry. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterBinder.class)
  static class Meters {
    @Bean
    @ConditionalOnMissingBean(name = "reliabilityIdempotencyBreakerMetrics")
    MeterBinder reliabilityIdempotencyBreakerMetrics(Idempotency idempotency) {
      return registry -> bind(idempotency.getCircuitBreaker(), registry);
    }

    // Micrometer types appear only in this nested class, which loads only when Micrometer is
    // present: a signature on the outer class broke every start without Micrometer (found by
    // .ci/release-dry-run's application, which has no Actuator).
    static void bind(CircuitBreaker breaker, MeterRegistry registry) {
      for (CircuitBreaker.State s : CircuitBreaker.State.values()) {
        Gauge.builder(STATE, breaker, b -> b.getState() == s ? 1 : 0)
            .description("Idempotency store circuit breaker state (1 = current)")
            .tag("name", breaker.getName())
            .tag("state", s.name().toLowerCase(java.util.Locale.ROOT))
            .register(registry);
      }
      Counter success = calls(registry, breaker, "success");
      Counter failure = calls(registry, breaker, "failure");
      Counter notPermitted = calls(registry, breaker, "not_permitted");
      Counter ignored = calls(registry, breaker, "ignored");
      breaker
          .getEventPublisher()
          .onSuccess(e -> success.increment())
          .onError(e -> failure.increment())
          .onCallNotPermitted(e -> notPermitted.increment())
          .onIgnoredError(e -> ignored.increment());
    }

    private static Counter calls(MeterRegistry registry, CircuitBreaker breaker, String outcome) {
      return Counter.builder(CALLS)
          .description("Idempotency store calls through the circuit breaker, by outcome")
          .tag("name", breaker.getName())
          .tag("outcome", outcome)
          .register(registry);
    }
  }
}
