package io.github.reliability4j.redis.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.test.idempotency.AbstractIdempotencyStoreContract;
import io.github.reliability4j.test.services.Services;
import io.lettuce.core.RedisClient;
import java.time.Clock;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The store contract against the machine's Redis (127.0.0.1:6379), under a fresh prefix. */
class RedisIdempotencyStoreContractTest extends AbstractIdempotencyStoreContract {

  static final String PREFIX = "r4j-test:" + UUID.randomUUID() + ":";
  private static RedisClient client;

  @BeforeAll
  static void connect() {
    Services.requireRedis();
    client = RedisClient.create("redis://127.0.0.1:6379");
  }

  @AfterAll
  static void disconnect() {
    if (client != null) {
      client.shutdown();
    }
  }

  @Override
  protected IdempotencyStore createStore(Clock clock) {
    return RedisIdempotencyStore.create(
        client, RedisIdempotencyStoreConfig.custom().keyPrefix(PREFIX).clock(clock).build());
  }

  @Override
  protected void closeStore(IdempotencyStore store) {
    ((RedisIdempotencyStore) store).close();
  }
}
