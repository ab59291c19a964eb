/**
 * Contract tests for {@link io.github.reliability4j.core.idempotency.IdempotencyStore}
 * implementations: extend {@link
 * io.github.reliability4j.test.idempotency.AbstractIdempotencyStoreContract} (JUnit Jupiter) and
 * {@link io.github.reliability4j.test.idempotency.AbstractIdempotencyStoreProperties} (jqwik).
 */
package io.github.reliability4j.test.idempotency;
