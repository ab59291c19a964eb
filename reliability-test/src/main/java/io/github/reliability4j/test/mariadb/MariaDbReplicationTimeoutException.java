package io.github.reliability4j.test.mariadb;

import java.time.Duration;

/**
 * Thrown when a replica has not applied up to a target GTID position before a deadline. Carries the
 * positions so a failing test says how far behind the replica was.
 */
public class MariaDbReplicationTimeoutException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final String replicaName;
  private final String targetGtid;
  private final String replicaGtid;
  private final Duration deadline;

  public MariaDbReplicationTimeoutException(
      String message,
      String replicaName,
      String targetGtid,
      String replicaGtid,
      Duration deadline) {
    super(message);
    this.replicaName = replicaName;
    this.targetGtid = targetGtid;
    this.replicaGtid = replicaGtid;
    this.deadline = deadline;
  }

  public String getReplicaName() {
    return replicaName;
  }

  /** The primary's {@code @@gtid_binlog_pos} the replica had to reach. */
  public String getTargetGtid() {
    return targetGtid;
  }

  /** The replica's {@code @@gtid_slave_pos} when giving up. */
  public String getReplicaGtid() {
    return replicaGtid;
  }

  public Duration getDeadline() {
    return deadline;
  }
}
