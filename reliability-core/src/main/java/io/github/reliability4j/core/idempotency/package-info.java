/**
 * Idempotency: multiple executions of one request, one outcome.
 *
 * <p>Model: an {@link io.github.reliability4j.core.idempotency.IdempotencyKey} scoped by tenant or
 * principal and an explicit operation name; a {@link
 * io.github.reliability4j.core.idempotency.RequestFingerprint} (SHA-256, always checked); records
 * that are either in progress (fenced owner token, lease) or completed (stored outcome, retention).
 * SPI: {@link io.github.reliability4j.core.idempotency.IdempotencyStore}. Engine: {@link
 * io.github.reliability4j.core.idempotency.Idempotency}.
 */
package io.github.reliability4j.core.idempotency;
