package io.github.reliability4j.examples.service;

import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.core.routing.RoutingListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counts routed connections by node and fallback reason as {@code demo.routing.connections}, so
 * {@code /actuator/metrics/demo.routing.connections} shows where reads went.
 */
final class RoutingMetrics implements RoutingListener {

  private final MeterRegistry registry;

  RoutingMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void onRoute(RouteDecision decision) {
    if (registry == null) {
      return;
    }
    Counter.builder("demo.routing.connections")
        .description("Logical connections routed by the replica-routing DataSource")
        .tag("node", decision.node())
        .tag("write", Boolean.toString(decision.write()))
        .tag("fallback", decision.fallback() == null ? "none" : decision.fallback().name())
        .register(registry)
        .increment();
  }
}
