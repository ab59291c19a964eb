package io.github.reliability4j.test.mariadb;

import java.time.Duration;

/**
 * A MariaDB replica with lag controls: stop and start applying replicated transactions, delay them
 * ({@code MASTER_DELAY}), stop and restart the server, and wait until it has caught up.
 *
 * <p>The replica replicates from the primary with GTIDs ({@code MASTER_USE_GTID=slave_pos}); its IO
 * thread keeps fetching the primary's binary log while the SQL thread is stopped, so nothing is
 * lost and applying resumes where it stopped.
 *
 * <p>Thread-safe; state changes are serialized per replica. Every method other than {@link
 * #start()}, {@link #stop()} and the {@link MariaDbNode} accessors needs the server to be running
 * and throws {@link IllegalStateException} otherwise.
 */
public interface MariaDbReplica extends MariaDbNode {

  /**
   * Stops applying replicated transactions ({@code STOP SLAVE SQL_THREAD}): rows committed on the
   * primary after this returns stay invisible here until {@link #startReplication()}. Idempotent.
   * Does not survive {@link #stop()}: a restarted replica applies again.
   */
  void stopReplication();

  /** Resumes applying ({@code START SLAVE SQL_THREAD}). Idempotent. */
  void startReplication();

  /** Whether the SQL (apply) thread is not running ({@code Slave_SQL_Running <> 'Yes'}). */
  boolean isReplicationStopped();

  /**
   * Delays applying each transaction until it is at least {@code delay} old ({@code CHANGE MASTER
   * TO MASTER_DELAY}; the SQL thread is restarted for it if it was running). {@link Duration#ZERO}
   * removes the delay. The delay survives {@link #stop()}/{@link #start()}.
   *
   * @throws IllegalArgumentException if {@code delay} is negative or not a whole number of seconds
   *     (MariaDB's resolution)
   */
  void setApplyDelay(Duration delay);

  /**
   * Waits until this replica has applied everything in the primary's {@code @@gtid_binlog_pos} as
   * read when this method starts ({@code MASTER_GTID_WAIT}), so every transaction committed on the
   * primary before the call is visible here afterwards.
   *
   * @throws MariaDbReplicationTimeoutException if it has not caught up by the deadline; the message
   *     carries both positions and whether the SQL thread runs
   * @throws IllegalStateException if the replica is stopped
   */
  void awaitCaughtUp(Duration deadline);

  /** The replica's {@code @@gtid_slave_pos}, e.g. {@code 0-1-42} (empty when nothing applied). */
  String gtidSlavePos();

  /**
   * Stops the server (SIGTERM, a clean shutdown): a dead replica. Idempotent. The data directory
   * and port are kept, so {@link #start()} brings the same replica back.
   */
  void stop();

  /**
   * Starts a stopped replica again on the same port and waits until it accepts connections and its
   * replication threads run (within the cluster's startup timeout); it then catches up on what it
   * missed, which this method does not wait for. An apply delay is kept. No-op when running.
   *
   * @throws IllegalStateException if the server does not come up in time (the message quotes its
   *     error log)
   */
  void start();
}
