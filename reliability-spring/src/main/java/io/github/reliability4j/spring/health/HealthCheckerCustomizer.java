package io.github.reliability4j.spring.health;

import io.github.reliability4j.core.health.HealthChecker;

/**
 * Customizes the auto-configured {@link HealthChecker} (extra probes, groups, executors) before it
 * is built. Applied in {@code @Order} order on the thread creating the bean.
 */
@FunctionalInterface
public interface HealthCheckerCustomizer {

  void customize(HealthChecker.Builder builder);
}
