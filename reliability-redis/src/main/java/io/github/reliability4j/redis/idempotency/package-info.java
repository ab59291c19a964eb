/**
 * The Redis idempotency store: {@link
 * io.github.reliability4j.redis.idempotency.RedisIdempotencyStore} implements the core {@link
 * io.github.reliability4j.core.idempotency.IdempotencyStore} SPI with one Lua script (one round
 * trip) per operation, fenced by the owner token, with Redis TTLs instead of a purge job.
 */
package io.github.reliability4j.redis.idempotency;
