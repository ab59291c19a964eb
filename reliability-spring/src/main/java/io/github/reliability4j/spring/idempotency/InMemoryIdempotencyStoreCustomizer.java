package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.InMemoryIdempotencyStore;

/**
 * Customizes the auto-configured in-memory store (e.g. its maximum size or clock) before it is
 * built. Applied in {@code @Order} order, on the thread creating the bean.
 */
@FunctionalInterface
public interface InMemoryIdempotencyStoreCustomizer {

  void customize(InMemoryIdempotencyStore.Builder builder);
}
