package io.github.reliability4j.redis.idempotency;

import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.redis.health.RedisStoreProbe;
import io.github.reliability4j.test.health.AbstractProbeContract;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link RedisStoreProbe} over a real store on a Redis server of its own (free port), killed to
 * fail.
 */
class RedisStoreProbeContractTest extends AbstractProbeContract {

  private RedisServer server;
  private RedisClient client;
  private RedisIdempotencyStore store;

  @BeforeEach
  void startServer() throws Exception {
    server = RedisServer.start();
    client = RedisClient.create(server.uri());
    store =
        RedisIdempotencyStore.create(
            client,
            RedisIdempotencyStoreConfig.custom().commandTimeout(Duration.ofSeconds(2)).build());
  }

  @AfterEach
  void stopServer() throws Exception {
    store.close();
    client.shutdown();
    server.close();
  }

  @Override
  protected Probe probe() {
    return RedisStoreProbe.builder(store).build();
  }

  @Override
  protected void makeHealthy() {
    // The server is up from the start; a killed one is discarded with the test.
  }

  @Override
  protected String makeFailing() throws InterruptedException {
    server.kill();
    return "Redis idempotency store unreachable";
  }
}
