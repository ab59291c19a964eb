package io.github.reliability4j.redis.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.test.idempotency.AbstractIdempotencyStoreContract;
import io.github.reliability4j.test.services.Services;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Clock;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The store contract against the machine's Redis (127.0.0.1:6379), under a fresh prefix. */
class RedisIdempotencyStoreContractTest extends AbstractIdempotencyStoreContract {

  static final String PREFIX = "r4j-test:" + UUID.randomUUID() + ":";
  private static RedisClient client;
  private static StatefulRedisConnection<byte[], byte[]> raw;

  @BeforeAll
  static void connect() {
    Services.requireRedis();
    client = RedisClient.create("redis://127.0.0.1:6379");
    raw = client.connect(ByteArrayCodec.INSTANCE);
  }

  @AfterAll
  static void disconnect() {
    if (raw != null) {
      raw.close();
    }
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
  protected IdempotencyStore createStoreWithOutcomeLimit(Clock clock, int maxOutcomeBytes) {
    return RedisIdempotencyStore.create(
        client,
        RedisIdempotencyStoreConfig.custom()
            .keyPrefix(PREFIX)
            .clock(clock)
            .maxOutcomeBytes(maxOutcomeBytes)
            .build());
  }

  /** {@code EXISTS} on the record's key: whether Redis's TTL has dropped it yet. */
  @Override
  protected Boolean physicallyStored(IdempotencyStore store, IdempotencyKey key) {
    return raw.sync().exists(((RedisIdempotencyStore) store).redisKey(key)) == 1L;
  }

  @Override
  protected void closeStore(IdempotencyStore store) {
    ((RedisIdempotencyStore) store).close();
  }
}
