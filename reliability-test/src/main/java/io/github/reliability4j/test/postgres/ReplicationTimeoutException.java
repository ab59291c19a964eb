package io.github.reliability4j.test.postgres;

import java.time.Duration;

/**
 * Thrown when a replica has not replayed up to a target WAL position before a deadline. Carries the
 * positions so a failing test says how far behind the replica was.
 */
public class ReplicationTimeoutException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final String replicaName;
  private final String targetLsn;
  private final String replayLsn;
  private final Duration deadline;

  /** Creates the exception; {@code message} should state positions and replica state. */
  public ReplicationTimeoutException(
      String message, String replicaName, String targetLsn, String replayLsn, Duration deadline) {
    super(message);
    this.replicaName = replicaName;
    this.targetLsn = targetLsn;
    this.replayLsn = replayLsn;
    this.deadline = deadline;
  }

  /** The replica's {@link PostgresNode#name()}. */
  public String getReplicaName() {
    return replicaName;
  }

  /** The primary's position the replica had to reach. */
  public String getTargetLsn() {
    return targetLsn;
  }

  /** The replica's last replay position seen before giving up. */
  public String getReplayLsn() {
    return replayLsn;
  }

  /** How long the caller was willing to wait. */
  public Duration getDeadline() {
    return deadline;
  }
}
