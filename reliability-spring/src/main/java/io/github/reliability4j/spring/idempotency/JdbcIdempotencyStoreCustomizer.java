package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;

/**
 * Customizes the auto-configured JDBC store's configuration (table name, clock, size limits) after
 * the {@code reliability.idempotency.jdbc.*} properties were applied. Applied in {@code @Order}
 * order, on the thread creating the bean.
 */
@FunctionalInterface
public interface JdbcIdempotencyStoreCustomizer {

  void customize(JdbcIdempotencyStoreConfig.Builder builder);
}
