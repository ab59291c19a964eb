package io.github.reliability4j.jdbc.idempotency;

import javax.sql.DataSource;

class H2JdbcIdempotencyStoreTest extends AbstractJdbcIdempotencyStoreTest {

  @Override
  DataSource dataSource() {
    return TestDatabases.h2();
  }

  @Override
  String expectedDialect() {
    return "H2";
  }
}
