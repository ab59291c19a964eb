package io.github.reliability4j.examples.service;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.jdbc.routing.RoutingConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the library into the service the way an application would: one routing {@code DataSource}
 * (the only {@code DataSource} bean, so Spring's {@code JdbcTemplate} and transaction manager use
 * it) over a primary pool and a replica pool, and the JDBC idempotency store on the primary.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(DemoProperties.class)
class DatabaseConfiguration {

  @Bean(destroyMethod = "close")
  DemoDatabase demoDatabase(DemoProperties properties, ObjectProvider<MeterRegistry> registry) {
    return DemoDatabase.open(properties, registry.getIfAvailable());
  }

  @Bean(destroyMethod = "close")
  ReplicaRoutingDataSource dataSource(
      DemoDatabase database, DemoProperties properties, RoutingMetrics metrics) {
    RoutingConfig.Builder config =
        RoutingConfig.custom()
            .primary("primary", database.primaryPool())
            .policy(
                RoutingPolicy.custom()
                    .maxReplicaLag(properties.getMaxReplicaLag())
                    .sampleInterval(Duration.ofMillis(250))
                    .build())
            .listener(metrics);
    database.replicaPool().ifPresent(pool -> config.replica("replica-0", pool));
    if (!properties.getTokenKey().isEmpty()) {
      config.tokenKey(properties.getTokenKey().getBytes(StandardCharsets.UTF_8));
    }
    return new ReplicaRoutingDataSource(config.build());
  }

  @Bean
  RoutingMetrics routingMetrics(ObjectProvider<MeterRegistry> registry) {
    return new RoutingMetrics(registry.getIfAvailable());
  }

  /**
   * The store lives on the primary pool (never a replica) in the same database as the payments, so
   * a payment and its idempotency record can commit in one transaction.
   */
  @Bean
  IdempotencyStore idempotencyStore(DemoDatabase database) {
    return JdbcIdempotencyStore.create(
        database.primaryPool(), JdbcIdempotencyStoreConfig.custom().initializeSchema(true).build());
  }
}
