package io.github.reliability4j.spring.observation;

import io.github.reliability4j.core.routing.RoutingListener;
import io.github.reliability4j.spring.internal.ReliabilityDecorators;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer Observations for idempotent requests (each store call), routing decisions and probe
 * evaluations, with the application's {@link ObservationRegistry} (Spring Boot's: its meter handler
 * turns them into timers, a tracing bridge into spans), and the {@code
 * reliability.health.probe.duration} timer with its {@link MeterRegistry}. Either registry may be
 * absent: the observations then go to {@code ObservationRegistry.NOOP}. Names and keys: {@link
 * ReliabilityObservations}. Off with {@code reliability.observations.enabled=false}.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration"
    })
// Micrometer's core too: the probe timer and the meter filter below use it, and a configuration
// class with its types in bean signatures must not load without it (found by the release dry
// run's application, which has neither).
@ConditionalOnClass({ObservationRegistry.class, MeterRegistry.class})
@ConditionalOnProperty(
    prefix = "reliability.observations",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
public class ReliabilityObservationAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "reliabilityObservedStore")
  ReliabilityDecorators.StoreDecorator reliabilityObservedStore(
      ObjectProvider<ObservationRegistry> registry) {
    return store ->
        new ObservedIdempotencyStore(
            store, registry.getIfAvailable(() -> ObservationRegistry.NOOP));
  }

  @Bean
  @ConditionalOnMissingBean(name = "reliabilityObservedProbes")
  ReliabilityDecorators.ProbeDecorator reliabilityObservedProbes(
      ObjectProvider<ObservationRegistry> registry, ObjectProvider<MeterRegistry> meters) {
    return r ->
        r.withProbe(
            new ObservedProbe(
                r.name(),
                r.probe(),
                registry.getIfAvailable(() -> ObservationRegistry.NOOP),
                meters.getIfUnique()));
  }

  /**
   * Descriptions for the timers Spring Boot's meter handler makes of our observations (it sets
   * none, and every reliability meter has one).
   */
  @Bean
  static io.micrometer.core.instrument.config.MeterFilter
      reliabilityObservationMeterDescriptions() {
    java.util.Map<String, String> descriptions =
        java.util.Map.of(
            ReliabilityObservations.IDEMPOTENCY_STORE,
            "Idempotency store calls of idempotent requests, by call and outcome",
            ReliabilityObservations.PROBE,
            "Probe evaluations, by probe and status",
            ReliabilityObservations.ROUTING_DECISION,
            "Routing decisions (events: the duration is not meaningful)",
            ReliabilityObservations.ROUTING_FALLBACK,
            "Routing fallbacks to the primary (events: the duration is not meaningful)",
            ReliabilityObservations.ROUTING_CAUSAL_WAIT,
            "Finished causal waits (events; the wait's length is in reliability.routing.causal.wait)");
    return new io.micrometer.core.instrument.config.MeterFilter() {
      @Override
      public io.micrometer.core.instrument.Meter.Id map(io.micrometer.core.instrument.Meter.Id id) {
        String name = id.getName();
        String base = name.endsWith(".active") ? name.substring(0, name.length() - 7) : name;
        String d = descriptions.get(base);
        if (d == null || id.getDescription() != null) {
          return id;
        }
        return new io.micrometer.core.instrument.Meter.Id(
            name,
            io.micrometer.core.instrument.Tags.of(id.getTagsAsIterable()),
            id.getBaseUnit(),
            name.equals(base) ? d : d + " (in progress)",
            id.getType());
      }
    };
  }

  @Bean
  @ConditionalOnMissingBean(name = "reliabilityRoutingObservations")
  RoutingListener reliabilityRoutingObservations(ObjectProvider<ObservationRegistry> registry) {
    return new RoutingObservations(registry.getIfAvailable(() -> ObservationRegistry.NOOP));
  }
}
