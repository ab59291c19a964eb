package io.github.reliability4j.spring.routing;

import io.github.reliability4j.jdbc.routing.RoutingConfig;

/**
 * Customizes the routing configuration built from {@code reliability.routing.*} (e.g. a custom
 * {@code ReplicationDialect}, scheduler or policy) before the router is created. Applied in
 * {@code @Order} order, on the thread creating the DataSource bean.
 */
@FunctionalInterface
public interface RoutingConfigCustomizer {

  void customize(RoutingConfig.Builder builder);
}
