package io.github.reliability4j.examples.service;

import io.github.reliability4j.core.idempotency.event.IdempotencyEventListener;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The request-scoped consistency session and idempotency metrics. */
@Configuration(proxyBeanMethods = false)
class WebConfiguration {

  @Bean
  ConsistencyTokens.SessionFilter consistencySessionFilter(ReplicaRoutingDataSource dataSource) {
    return new ConsistencyTokens.SessionFilter(dataSource);
  }

  /** Counts idempotency events (claimed, replayed, conflict, ...) as {@code demo.idempotency}. */
  @Bean
  IdempotencyEventListener idempotencyMetrics(ObjectProvider<MeterRegistry> registry) {
    MeterRegistry meters = registry.getIfAvailable();
    return event -> {
      if (meters != null) {
        Counter.builder("demo.idempotency")
            .description("Idempotency events of @Idempotent endpoints")
            .tag("type", event.getType().name())
            .tag("operation", event.getOperation())
            .register(meters)
            .increment();
      }
    };
  }
}
