package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import io.github.reliability4j.test.services.Services;
import org.junit.jupiter.api.Test;

/**
 * Four store instances, each on its own HikariCP pool, race from 16 threads for 150 keys (see
 * {@link StoreRace}); the larger race on the machine's servers is {@link
 * JdbcIdempotencyStoreRaceAtScaleTest}.
 */
@ReplicatedPostgres(replicas = 0)
class MultiInstanceJdbcIdempotencyStoreTest {

  private static final int INSTANCES = 4;
  private static final int THREADS_PER_INSTANCE = 4;
  private static final int KEYS = 150;

  private final PostgresCluster cluster;

  MultiInstanceJdbcIdempotencyStoreTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  @Test
  void everyKeyExecutesExactlyOnceOnEmbeddedPostgres() throws Exception {
    StoreRace.run(cluster.primary().jdbcUrl(), "pg", INSTANCES, THREADS_PER_INSTANCE, KEYS);
  }

  @Test
  void everyKeyExecutesExactlyOnceOnMariaDb() throws Exception {
    StoreRace.run(Services.mariaDbJdbcUrl(), "maria", INSTANCES, THREADS_PER_INSTANCE, KEYS);
  }
}
