package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.ReplicationPosition;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Database-specific replication SQL. {@link PostgresReplicationDialect} is chosen automatically for
 * PostgreSQL; {@link TimeWindowReplicationDialect} must be configured explicitly for other
 * databases. A MySQL/MariaDB GTID dialect implements the same methods with GTID-set positions.
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

  /** The replica's replay position: everything up to it is visible to reads. */
  ReplicationPosition replayPosition(Connection replica) throws SQLException;

  /** Parses {@link ReplicationPosition#encode()} output; throws IllegalArgumentException. */
  ReplicationPosition parsePosition(String encoded);

  /**
   * Whether positions are exact (true for PostgreSQL LSNs and GTIDs; false for the time window).
   */
  default boolean isExact() {
    return true;
  }
}
