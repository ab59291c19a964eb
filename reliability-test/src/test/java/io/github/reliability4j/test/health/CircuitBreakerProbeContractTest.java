package io.github.reliability4j.test.health;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.probes.CircuitBreakerProbe;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/** {@link CircuitBreakerProbe} over a real Resilience4j breaker, opened to fail. */
class CircuitBreakerProbeContractTest extends AbstractProbeContract {

  private final CircuitBreaker breaker = CircuitBreaker.ofDefaults("contract-breaker");

  @Override
  protected Probe probe() {
    return CircuitBreakerProbe.of(breaker);
  }

  /** An open breaker degrades health by design (see {@link CircuitBreakerProbe}). */
  @Override
  protected HealthStatus failingStatus() {
    return HealthStatus.WARN;
  }

  @Override
  protected void makeHealthy() {
    breaker.transitionToClosedState();
  }

  @Override
  protected String makeFailing() {
    breaker.transitionToOpenState();
    return "'contract-breaker' is OPEN";
  }
}
