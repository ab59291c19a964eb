package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.ReplicationProbe;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.Optional;

/**
 * Database-specific replication SQL. {@link PostgresReplicationDialect} is chosen automatically for
 * PostgreSQL, {@link MariaDbReplicationDialect} for MariaDB; {@link TimeWindowReplicationDialect}
 * must be configured explicitly for other databases (MySQL included: it is refused at start for
 * position-based reads).
 *
 * <p>Implementations must be thread-safe and stateless with respect to connections: every method
 * receives a connection it must not close, and must leave it in the transaction state it found it
 * in (the router calls the position methods in auto-commit mode).
 */
public interface ReplicationDialect {

  /** Short, stable name embedded in exported tokens, e.g. {@code "postgresql"}. */
  String name();

  /** Identity of the replicated cluster (same on the primary and every replica). */
  String clusterId(Connection connection) throws SQLException;

  /**
   * Identity of the server behind {@code connection}, to detect one server configured twice; empty
   * if unknown.
   */
  default Optional<String> nodeIdentity(Connection connection) throws SQLException {
    return Optional.empty();
  }

  /**
   * Identity of the server <em>process</em> behind {@code connection}: it must differ between two
   * servers, and between a server and the one that replaced it on the same address (a restart from
   * an older clone, a re-seed). The router keeps replay positions per server instance, so a
   * position observed on one server is never trusted for a connection that reached another (a
   * load-balanced replica endpoint, a replaced replica). It is read once per physical connection
   * and cached with it, so a pooled connection costs one extra round trip in its lifetime; an
   * unpooled data source pays it on every connection. Empty (the default) if the dialect cannot
   * tell: the replica name is then taken to be one server whose position only grows.
   */
  default Optional<String> serverInstance(Connection connection) throws SQLException {
    return Optional.empty();
  }

  /** Whether the server is a replica (in recovery); empty if the dialect cannot tell. */
  Optional<Boolean> isInRecovery(Connection connection) throws SQLException;

  /** Human-readable form of the role check for error messages, e.g. "pg_is_in_recovery()". */
  default String roleCheckDescription() {
    return "role check";
  }

  /**
   * The primary's position, read <em>after</em> a commit on the same session, so that it covers
   * that commit.
   */
  ReplicationPosition currentPosition(Connection primary) throws SQLException;

  /**
   * The position to merge into the session after a commit on {@code primary}, read on the same
   * session: it must cover that commit. Default: {@link #currentPosition}; a dialect with a
   * per-session position (MariaDB's {@code @@last_gtid}) returns that, so the token does not also
   * require other sessions' writes.
   */
  default ReplicationPosition sessionPosition(Connection primary) throws SQLException {
    return currentPosition(primary);
  }

  /** The replica's replay position: everything up to it is visible to reads. */
  ReplicationPosition replayPosition(Connection replica) throws SQLException;

  /**
   * The replay position for a lag-monitor sample, after checking that the replica still replicates
   * from the cluster {@code clusterId}; a failed check throws, which excludes the replica. Default:
   * {@link #replayPosition(Connection)} without a check.
   */
  default ReplicationPosition replayPosition(Connection replica, String clusterId)
      throws SQLException {
    return replayPosition(replica);
  }

  /**
   * The lag monitor's sample of a replica, in one round trip where the dialect can: {@link
   * #replayPosition(Connection, String)} and, where the dialect reads it, the replica's own receive
   * status ({@link ReplicationProbe.ReplaySample#receiveAge()}); the server identity is filled in
   * by the caller. Default: the replay position without receive status (MariaDB, for now).
   * PostgreSQL reports the receive age from {@code pg_stat_wal_receiver}.
   */
  default ReplicationProbe.ReplaySample replaySample(Connection replica, String clusterId)
      throws SQLException {
    return new ReplicationProbe.ReplaySample(null, replayPosition(replica, clusterId));
  }

  /**
   * Whether {@link #awaitReplay} waits on the server in one round trip; when false (the default)
   * the router polls {@link #replayPosition(Connection)} for a causal wait.
   */
  default boolean waitsOnServer() {
    return false;
  }

  /**
   * Blocks on the replica until it has applied {@code target} or {@code timeout} passes; called
   * only when {@link #waitsOnServer()}, in auto-commit mode.
   *
   * @return whether the replica covers {@code target}
   */
  default boolean awaitReplay(Connection replica, ReplicationPosition target, Duration timeout)
      throws SQLException {
    throw new SQLFeatureNotSupportedException(this + " has no server-side wait");
  }

  /** Parses {@link ReplicationPosition#encode()} output; throws IllegalArgumentException. */
  ReplicationPosition parsePosition(String encoded);

  /**
   * Whether positions are exact (true for PostgreSQL LSNs and GTIDs; false for the time window).
   */
  default boolean isExact() {
    return true;
  }
}
