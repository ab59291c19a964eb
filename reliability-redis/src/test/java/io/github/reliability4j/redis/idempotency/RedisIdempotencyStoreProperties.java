package io.github.reliability4j.redis.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.test.idempotency.AbstractIdempotencyStoreProperties;
import io.github.reliability4j.test.services.Services;
import io.lettuce.core.RedisClient;
import java.time.Clock;
import java.util.UUID;

/** The jqwik model property against the machine's Redis, a fresh prefix per try. */
class RedisIdempotencyStoreProperties extends AbstractIdempotencyStoreProperties {

  private static RedisClient client;

  private static synchronized RedisClient client() {
    if (client == null) {
      Services.requireRedis();
      client = RedisClient.create("redis://127.0.0.1:6379");
      Runtime.getRuntime().addShutdownHook(new Thread(client::shutdown));
    }
    return client;
  }

  @Override
  protected IdempotencyStore createStore(Clock clock) {
    return RedisIdempotencyStore.create(
        client(),
        RedisIdempotencyStoreConfig.custom()
            .keyPrefix("r4j-prop:" + UUID.randomUUID() + ":")
            .clock(clock)
            .build());
  }

  @Override
  protected void closeStore(IdempotencyStore store) {
    ((RedisIdempotencyStore) store).close();
  }
}
