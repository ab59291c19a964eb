package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import javax.sql.DataSource;

@ReplicatedPostgres(replicas = 0)
class EmbeddedPostgresJdbcIdempotencyStoreTest extends AbstractJdbcIdempotencyStoreTest {

  private final PostgresCluster cluster;

  EmbeddedPostgresJdbcIdempotencyStoreTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  @Override
  DataSource dataSource() {
    return cluster.primary().dataSource();
  }

  @Override
  String expectedDialect() {
    return "PostgreSQL";
  }
}
