package io.github.reliability4j.jdbc.idempotency;

import javax.sql.DataSource;

/** The machine's PostgreSQL 15; skips (or fails under RELIABILITY_REQUIRE_SERVICES) if down. */
class PostgresServiceJdbcIdempotencyStoreTest extends AbstractJdbcIdempotencyStoreTest {

  @Override
  DataSource dataSource() {
    return TestDatabases.machinePostgres();
  }

  @Override
  String expectedDialect() {
    return "PostgreSQL";
  }
}
