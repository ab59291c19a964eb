package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.test.idempotency.AbstractIdempotencyStoreProperties;
import java.time.Clock;
import javax.sql.DataSource;

/** The model-based store property on H2. Every try uses fresh keys in the shared table. */
class H2JdbcIdempotencyStoreProperties extends AbstractIdempotencyStoreProperties {

  private static final String TABLE = TestDatabases.uniqueTable("idem_prop_h2");
  private static DataSource dataSource;

  @Override
  protected IdempotencyStore createStore(Clock clock) {
    synchronized (H2JdbcIdempotencyStoreProperties.class) {
      if (dataSource == null) {
        dataSource = TestDatabases.h2();
        JdbcIdempotencyStore.create(
            dataSource,
            JdbcIdempotencyStoreConfig.custom().tableName(TABLE).initializeSchema(true).build());
      }
    }
    return JdbcIdempotencyStore.create(
        dataSource, JdbcIdempotencyStoreConfig.custom().tableName(TABLE).clock(clock).build());
  }
}
