package io.github.reliability4j.core.routing;

/**
 * Reads replication positions for the lag monitor. Implemented by the JDBC module per dialect.
 *
 * <p>Called from the lag monitor's scheduler threads, possibly concurrently for different replicas;
 * implementations must be thread-safe and should bound each call with a timeout.
 */
public interface ReplicationProbe {

  /** The primary's current position (for PostgreSQL {@code pg_current_wal_insert_lsn()}). */
  ReplicationPosition primaryPosition() throws Exception;

  /** The replica's replay position (for PostgreSQL {@code pg_last_wal_replay_lsn()}). */
  ReplicationPosition replayPosition(String replica) throws Exception;
}
