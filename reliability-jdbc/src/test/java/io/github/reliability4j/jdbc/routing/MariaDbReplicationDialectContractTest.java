package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.test.mariadb.MariaDbCluster;
import io.github.reliability4j.test.mariadb.ReplicatedMariaDb;
import io.github.reliability4j.test.routing.AbstractReplicationDialectContract;
import javax.sql.DataSource;

/**
 * {@link MariaDbReplicationDialect} against real MariaDB GTID replication (the kit's local primary
 * and replicas, shared with the MariaDB routing tests).
 */
@ReplicatedMariaDb(replicas = 2)
class MariaDbReplicationDialectContractTest extends AbstractReplicationDialectContract {

  private final MariaDbCluster cluster;

  MariaDbReplicationDialectContractTest(MariaDbCluster cluster) {
    this.cluster = cluster;
  }

  @Override
  protected Dialect dialect() {
    return new ContractDialect(MariaDbReplicationDialect.INSTANCE);
  }

  @Override
  protected boolean checksClusterIdentity() {
    return true;
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
    cluster.replica(0).stopReplication();
  }

  @Override
  protected void resumeReplay() {
    cluster.replica(0).startReplication();
  }
}
