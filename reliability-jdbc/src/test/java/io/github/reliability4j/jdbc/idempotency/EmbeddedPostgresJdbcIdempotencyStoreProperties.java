package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.test.idempotency.AbstractIdempotencyStoreProperties;
import java.time.Clock;
import javax.sql.DataSource;

/**
 * The model-based store property on embedded PostgreSQL. Every try uses fresh keys in the shared
 * table.
 */
class EmbeddedPostgresJdbcIdempotencyStoreProperties extends AbstractIdempotencyStoreProperties {

  private static final String TABLE = TestDatabases.uniqueTable("idem_prop_embeddedpostgres");
  private static DataSource dataSource;

  @Override
  protected IdempotencyStore createStore(Clock clock) {
    synchronized (EmbeddedPostgresJdbcIdempotencyStoreProperties.class) {
      if (dataSource == null) {
        dataSource =
            TestDatabases.pooled(
                TestDatabases.propertiesCluster().primary().jdbcUrl(), 4, "prop-pg");
        JdbcIdempotencyStore.create(
            dataSource,
            JdbcIdempotencyStoreConfig.custom().tableName(TABLE).initializeSchema(true).build());
      }
    }
    return JdbcIdempotencyStore.create(
        dataSource, JdbcIdempotencyStoreConfig.custom().tableName(TABLE).clock(clock).build());
  }
}
