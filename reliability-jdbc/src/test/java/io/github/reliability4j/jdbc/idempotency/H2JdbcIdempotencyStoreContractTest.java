package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.test.idempotency.AbstractIdempotencyStoreContract;
import java.time.Clock;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;

/** The shared store contract on H2. */
class H2JdbcIdempotencyStoreContractTest extends AbstractIdempotencyStoreContract {

  private static final String TABLE = TestDatabases.uniqueTable("idem_contract_h2");
  private static DataSource dataSource;

  @Override
  protected IdempotencyStore createStore(Clock clock) {
    synchronized (H2JdbcIdempotencyStoreContractTest.class) {
      if (dataSource == null) {
        dataSource = TestDatabases.h2();
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
