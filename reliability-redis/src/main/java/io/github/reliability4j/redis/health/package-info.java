/** Health probes for the Redis idempotency store. */
package io.github.reliability4j.redis.health;
