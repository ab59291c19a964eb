package io.github.reliability4j.core.idempotency;

import java.util.Objects;

/**
 * The value a caller gets from {@link Idempotency#execute} and how it was produced. Immutable.
 *
 * @param <T> value type
 */
public final class IdempotencyResult<T> {

  /** How the value was produced. */
  public enum Status {
    /** The action ran and its outcome was stored; retries will replay it. */
    STORED,
    /** The action did not run; the value is the replayed outcome of an earlier execution. */
    REPLAYED,
    /** The action ran; the outcome policy chose not to store it and the key was released. */
    NOT_STORED_BY_POLICY,
    /** The action ran; the outcome exceeded maxStoredOutcomeBytes and the key was released. */
    OUTCOME_TOO_LARGE,
    /**
     * The action ran, but this worker no longer owned the key when it tried to store the outcome
     * (lease expired or taken over): the outcome was not stored, and another execution may have
     * run.
     */
    LEASE_LOST,
    /**
     * The action ran, but storing the outcome failed; the in-progress record stays until its lease
     * expires, then a retry runs the action again.
     */
    STORE_ERROR,
    /** The store was unavailable and outage policy FAIL_OPEN ran the action without dedup. */
    NOT_DEDUPLICATED
  }

  private final T value;
  private final Status status;

  IdempotencyResult(T value, Status status) {
    this.value = value;
    this.status = Objects.requireNonNull(status, "status");
  }

  /** The action's value or the replayed one; may be null if the action returned null. */
  public T value() {
    return value;
  }

  public Status status() {
    return status;
  }

  /** True if the action did not run and the value was replayed. */
  public boolean isReplayed() {
    return status == Status.REPLAYED;
  }

  @Override
  public String toString() {
    return "IdempotencyResult[" + status + ", " + value + "]";
  }
}
