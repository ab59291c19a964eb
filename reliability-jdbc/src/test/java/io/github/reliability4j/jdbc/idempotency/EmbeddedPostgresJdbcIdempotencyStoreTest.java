package io.github.reliability4j.jdbc.idempotency;

import javax.sql.DataSource;

class EmbeddedPostgresJdbcIdempotencyStoreTest extends AbstractJdbcIdempotencyStoreTest {

  @Override
  DataSource dataSource() {
    return TestDatabases.embeddedPostgresDataSource();
  }

  @Override
  String expectedDialect() {
    return "PostgreSQL";
  }
}
