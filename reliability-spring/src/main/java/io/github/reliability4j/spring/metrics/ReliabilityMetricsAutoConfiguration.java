package io.github.reliability4j.spring.metrics;

import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.spring.internal.RoutingDataSources;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer meters for reliability4j, registered when Micrometer is on the class path and the
 * application has a {@link MeterRegistry}. Meter names are listed on {@link IdempotencyMetrics},
 * {@link RoutingMetrics}, {@link RoutingLagMetrics} and {@link HealthMetrics}. Disabled by {@code
 * reliability.metrics.enabled=false}; each binder backs off when a bean of its type exists.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
      "io.github.reliability4j.spring.health.HealthAutoConfiguration",
      "io.github.reliability4j.spring.routing.RoutingAutoConfiguration"
    })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(MeterRegistry.class)
@ConditionalOnProperty(
    prefix = "reliability.metrics",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
@EnableConfigurationProperties(MetricsProperties.class)
public class ReliabilityMetricsAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  IdempotencyMetrics reliabilityIdempotencyMetrics(MeterRegistry registry) {
    return new IdempotencyMetrics(registry);
  }

  @Bean
  @ConditionalOnMissingBean
  RoutingMetrics reliabilityRoutingMetrics(MeterRegistry registry) {
    return new RoutingMetrics(registry);
  }

  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBean(javax.sql.DataSource.class)
  RoutingLagMetrics reliabilityRoutingLagMetrics(javax.sql.DataSource dataSource) {
    // No meters (a null bean) without routing; a DataSource that cannot say fails the start.
    ReplicaRoutingDataSource router = RoutingDataSources.router(dataSource);
    return router == null ? null : new RoutingLagMetrics(router);
  }

  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBean(HealthChecker.class)
  HealthMetrics reliabilityHealthMetrics(HealthChecker checker) {
    return new HealthMetrics(checker);
  }
}
