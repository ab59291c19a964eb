package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.test.idempotency.AbstractIdempotencyStoreContract;
import io.github.reliability4j.test.idempotency.MutableClock;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;

/** The shared store contract on the PostgreSQL partition-per-day layout (embedded PostgreSQL). */
@ReplicatedPostgres(replicas = 0)
class PartitionedPostgresJdbcIdempotencyStoreContractTest extends AbstractIdempotencyStoreContract {

  private static final String TABLE = TestDatabases.uniqueTable("idem_contract_partitioned");
  private static final String REAL_TIME_TABLE = TABLE + "_rt";
  private static DataSource dataSource;
  private static boolean defaultPartitionCreated;

  private final PostgresCluster cluster;

  PartitionedPostgresJdbcIdempotencyStoreContractTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  @Override
  protected IdempotencyStore createStore(Clock clock) {
    if (!(clock instanceof MutableClock)) {
      // The real-time test runs on the system clock, years before the contract's clock: its
      // partitions would be "expired" for the other stores' maintenance, which cannot detach them
      // concurrently beside the default partition. It gets a table of its own.
      synchronized (PartitionedPostgresJdbcIdempotencyStoreContractTest.class) {
        if (dataSource == null) {
          dataSource = TestDatabases.pooled(cluster.primary().jdbcUrl(), 8, "partitioned-pg");
        }
      }
      return JdbcIdempotencyStore.create(
          dataSource,
          JdbcIdempotencyStoreConfig.custom()
              .tableName(REAL_TIME_TABLE)
              .clock(clock)
              .initializeSchema(true)
              .partitionedByDay(true)
              .build());
    }
    JdbcIdempotencyStoreConfig config =
        JdbcIdempotencyStoreConfig.custom()
            .tableName(TABLE)
            .clock(clock)
            .initializeSchema(true)
            .partitionedByDay(true)
            .partitionsAhead(60)
            .build();
    synchronized (PartitionedPostgresJdbcIdempotencyStoreContractTest.class) {
      if (!defaultPartitionCreated) {
        defaultPartitionCreated = true;
        if (dataSource == null) {
          dataSource = TestDatabases.pooled(cluster.primary().jdbcUrl(), 8, "partitioned-pg");
        }
        JdbcIdempotencyStore.create(dataSource, config);
        // The contract jumps the clock years ahead, past any maintained partition; a default
        // partition catches those rows (it also disables DETACH CONCURRENTLY, unused here).
        try (Connection c = dataSource.getConnection();
            Statement st = c.createStatement()) {
          st.execute("CREATE TABLE " + TABLE + "_default PARTITION OF " + TABLE + " DEFAULT");
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return JdbcIdempotencyStore.create(dataSource, config);
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
      TestDatabases.dropTableCascade(dataSource, TABLE);
      TestDatabases.dropTableCascade(dataSource, REAL_TIME_TABLE);
    }
  }
}
