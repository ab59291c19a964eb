package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import io.github.reliability4j.test.routing.AbstractReplicationDialectContract;
import javax.sql.DataSource;

/**
 * {@link PostgresReplicationDialect} against embedded PostgreSQL streaming replication (the cluster
 * the routing acceptance tests share).
 */
@ReplicatedPostgres(replicas = 2)
class PostgresReplicationDialectContractTest extends AbstractReplicationDialectContract {

  private final PostgresCluster cluster;

  PostgresReplicationDialectContractTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  @Override
  protected Dialect dialect() {
    return new ContractDialect(PostgresReplicationDialect.INSTANCE);
  }

  @Override
  protected boolean checksClusterIdentity() {
    return false;
  }

  @Override
  protected DataSource primary() {
    return cluster.primary().dataSource();
  }

  @Override
  protected DataSource replica() {
    return cluster.replica(0).dataSource();
  }

  @Override
  protected void stopReplay() {
    cluster.replica(0).pauseReplay();
  }

  @Override
  protected void resumeReplay() {
    cluster.replica(0).resumeReplay();
  }
}
