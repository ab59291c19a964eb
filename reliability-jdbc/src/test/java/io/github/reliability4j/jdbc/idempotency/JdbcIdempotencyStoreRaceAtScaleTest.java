package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.test.services.Services;
import org.junit.jupiter.api.Test;

/**
 * The project's concurrency bar on the machine's servers: 32 threads split over two store instances
 * (two HikariCP pools, as two service instances), each thread walking the same 1,000 keys in its
 * own order, on PostgreSQL 15 and on MariaDB. Every key must execute exactly once (see {@link
 * StoreRace}). Skips without the servers, fails in CI (RELIABILITY_REQUIRE_SERVICES=true).
 */
class JdbcIdempotencyStoreRaceAtScaleTest {

  private static final int INSTANCES = 2;
  private static final int THREADS_PER_INSTANCE = 16;
  private static final int KEYS = 1_000;

  @Test
  void everyKeyExecutesExactlyOnceOnPostgres15() throws Exception {
    StoreRace.run(Services.postgresJdbcUrl(), "pg15", INSTANCES, THREADS_PER_INSTANCE, KEYS);
  }

  @Test
  void everyKeyExecutesExactlyOnceOnMariaDb() throws Exception {
    StoreRace.run(Services.mariaDbJdbcUrl(), "maria", INSTANCES, THREADS_PER_INSTANCE, KEYS);
  }
}
