package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.test.routing.AbstractReplicationDialectContract;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/** Binds a {@link ReplicationDialect} to the contract's view of it, method for method. */
record ContractDialect(ReplicationDialect dialect)
    implements AbstractReplicationDialectContract.Dialect {

  @Override
  public String name() {
    return dialect.name();
  }

  @Override
  public String clusterId(Connection c) throws SQLException {
    return dialect.clusterId(c);
  }

  @Override
  public Optional<String> nodeIdentity(Connection c) throws SQLException {
    return dialect.nodeIdentity(c);
  }

  @Override
  public Optional<Boolean> isInRecovery(Connection c) throws SQLException {
    return dialect.isInRecovery(c);
  }

  @Override
  public ReplicationPosition currentPosition(Connection primary) throws SQLException {
    return dialect.currentPosition(primary);
  }

  @Override
  public ReplicationPosition sessionPosition(Connection primary) throws SQLException {
    return dialect.sessionPosition(primary);
  }

  @Override
  public ReplicationPosition replayPosition(Connection replica) throws SQLException {
    return dialect.replayPosition(replica);
  }

  @Override
  public ReplicationPosition replayPosition(Connection replica, String clusterId)
      throws SQLException {
    return dialect.replayPosition(replica, clusterId);
  }

  @Override
  public boolean waitsOnServer() {
    return dialect.waitsOnServer();
  }

  @Override
  public boolean awaitReplay(Connection replica, ReplicationPosition target, Duration timeout)
      throws SQLException {
    return dialect.awaitReplay(replica, target, timeout);
  }

  @Override
  public ReplicationPosition parsePosition(String encoded) {
    return dialect.parsePosition(encoded);
  }

  @Override
  public boolean isExact() {
    return dialect.isExact();
  }
}
