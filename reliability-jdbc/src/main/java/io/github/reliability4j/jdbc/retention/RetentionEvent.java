package io.github.reliability4j.jdbc.retention;

import java.time.Duration;
import java.time.Instant;

/**
 * One step of a retention run, for metrics, logs and tests. Metrics-neutral: adapters turn it into
 * counters and timers.
 *
 * @param type what happened
 * @param policy the policy's name
 * @param time when, by the runner's clock
 * @param batch number of the batch in this run (1-based) for {@link Type#BATCH}, otherwise the
 *     batches committed so far
 * @param rows rows archived and deleted (archive) or deleted by this batch; 0 for other types
 * @param batchSize the size asked for by this batch (BATCH) or the next one (THROTTLED)
 * @param duration the batch's transaction time (BATCH), the pause (THROTTLED), 0 otherwise
 * @param reason why the runner paused (THROTTLED), the outcome (RUN_FINISHED), or null
 * @param run the finished run (RUN_FINISHED), or null
 */
public record RetentionEvent(
    Type type,
    String policy,
    Instant time,
    long batch,
    long rows,
    int batchSize,
    Duration duration,
    String reason,
    RetentionRun run) {

  /** Event types. */
  public enum Type {
    /** The run holds the lease and starts its first batch. */
    RUN_STARTED,
    /** A batch committed. */
    BATCH,
    /** The runner paused before a batch (replica lag or readiness). */
    THROTTLED,
    /** The run ended, with any outcome. */
    RUN_FINISHED
  }
}
