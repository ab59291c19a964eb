package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.test.idempotency.AbstractIdempotencyStoreContract;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.time.Clock;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;

/** The shared store contract on embedded PostgreSQL from the test kit. */
@ReplicatedPostgres(replicas = 0)
class EmbeddedPostgresJdbcIdempotencyStoreContractTest extends AbstractIdempotencyStoreContract {

  private static final String TABLE = TestDatabases.uniqueTable("idem_contract_embeddedpostgres");
  private static DataSource dataSource;

  private final PostgresCluster cluster;

  EmbeddedPostgresJdbcIdempotencyStoreContractTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  @Override
  protected IdempotencyStore createStore(Clock clock) {
    synchronized (EmbeddedPostgresJdbcIdempotencyStoreContractTest.class) {
      if (dataSource == null) {
        dataSource = TestDatabases.pooled(cluster.primary().jdbcUrl(), 8, "embedded-pg");
      }
    }
    return JdbcIdempotencyStore.create(
        dataSource,
        JdbcIdempotencyStoreConfig.custom()
            .tableName(TABLE)
            .clock(clock)
            .initializeSchema(true)
            .build());
  }

  @Override
  protected IdempotencyStore createStoreWithOutcomeLimit(Clock clock, int maxOutcomeBytes) {
    return TestDatabases.withBodyLimit(dataSource, createStore(clock), maxOutcomeBytes);
  }

  @Override
  protected int raceThreads() {
    return 8;
  }

  @Override
  protected int raceKeys() {
    return 200;
  }

  @AfterAll
  static void dropTable() {
    if (dataSource != null) {
      TestDatabases.dropTable(dataSource, TABLE);
    }
  }
}
