package io.github.reliability4j.jdbc.idempotency;

import javax.sql.DataSource;

/** The machine's MariaDB; skips (or fails under RELIABILITY_REQUIRE_SERVICES) if down. */
class MariaDbJdbcIdempotencyStoreTest extends AbstractJdbcIdempotencyStoreTest {

  @Override
  DataSource dataSource() {
    return TestDatabases.mariaDb();
  }

  @Override
  String expectedDialect() {
    return "MariaDB";
  }
}
