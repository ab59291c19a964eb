package io.github.reliability4j.core.routing;

import java.time.Duration;

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

  /**
   * The replica's replay position together with the identity of the server that reported it (see
   * {@code ReplicationDialect.serverInstance} in the JDBC module), read on one connection. Default:
   * {@link #replayPosition(String)} with no identity, so the replica name is taken to be one
   * server.
   */
  default ReplaySample replaySample(String replica) throws Exception {
    return new ReplaySample(null, replayPosition(replica));
  }

  /**
   * A replay position and the server it was read on.
   *
   * @param server the server's identity, or null if the dialect reports none
   * @param position the replay position, or null if the server reported none
   * @param receiveAge only when the replica's own receive status vouches for its freshness: its
   *     receiver is streaming from a primary and it has replayed everything it received; then the
   *     time since it last received a message from that primary (measured on the replica, so clock
   *     skew does not enter it). Null otherwise, or if the dialect does not report it (PostgreSQL
   *     reports it; MariaDB does not, for now). The router uses it only while the primary is
   *     unreachable from the router (see {@code ReplicaRouter#sampleReplica})
   */
  record ReplaySample(String server, ReplicationPosition position, Duration receiveAge) {

    /** A sample without receive status. */
    public ReplaySample(String server, ReplicationPosition position) {
      this(server, position, null);
    }
  }
}
