package io.github.reliability4j.jdbc.retention;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What one {@link RetentionRunner#run()} did.
 *
 * @param policy the policy's name
 * @param outcome how it ended
 * @param startedAt when it started (runner clock)
 * @param duration how long it took
 * @param batches batches committed
 * @param rowsArchived rows copied into the archive table (equal to the rows deleted for {@link
 *     RetentionPolicy.Action#ARCHIVE_THEN_DELETE}, 0 for {@link RetentionPolicy.Action#DELETE})
 * @param rowsDeleted rows deleted from the table
 * @param throttled total time paused for replica lag or readiness
 * @param maxBatchDuration the longest batch transaction of the run, from before its first statement
 *     to after its commit
 * @param failure why the run failed ({@link Outcome#FAILED}, {@link Outcome#LEASE_LOST}), or null
 */
public record RetentionRun(
    String policy,
    Outcome outcome,
    Instant startedAt,
    Duration duration,
    long batches,
    long rowsArchived,
    long rowsDeleted,
    Duration throttled,
    Duration maxBatchDuration,
    Throwable failure) {

  /** How a run ended. Every outcome leaves the tables consistent: batches commit or roll back. */
  public enum Outcome {
    /** No eligible row is left behind the run's cut (it may have removed none). */
    COMPLETED,
    /** Another runner holds the policy's lease; this run did nothing. */
    LEASE_HELD,
    /** The lease was taken over mid-run; the batch in progress rolled back. */
    LEASE_LOST,
    /** Paused longer than {@link RetentionPolicy#getMaxThrottleTime()}; resumes next run. */
    THROTTLED,
    /** Reached {@link RetentionPolicy#getMaxRunDuration()}; resumes next run. */
    TIME_LIMIT,
    /** The thread was interrupted; the batch in progress rolled back or committed whole. */
    INTERRUPTED,
    /** A database error; the batch in progress rolled back. */
    FAILED
  }

  public Optional<Throwable> getFailure() {
    return Optional.ofNullable(failure);
  }
}
