package io.github.reliability4j.core.idempotency;

/** State of a live idempotency record. */
public enum RecordState {
  /** An owner holds a lease and is executing the action. */
  IN_PROGRESS,
  /** The action finished and its outcome is stored until the retention expires. */
  COMPLETED
}
