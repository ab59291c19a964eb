package io.github.reliability4j.core.idempotency.event;

import io.github.reliability4j.core.idempotency.IdempotencyKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Something the idempotency engine did for one key. Immutable.
 *
 * <p>{@link #getDuration()} carries, where it applies: the store-call time for {@code CLAIMED},
 * {@code TAKEOVER}, {@code REPLAYED}, {@code CONFLICT}, {@code MISMATCH} (including any time spent
 * waiting) and {@code STORE_ERROR}; the action's run time for {@code COMPLETED}, {@code RELEASED},
 * {@code OUTCOME_TOO_LARGE} and {@code LEASE_LOST}.
 */
public final class IdempotencyEvent {

  /** Event types. */
  public enum Type {
    /** The key was claimed (absent before); the action runs. */
    CLAIMED,
    /** The key was claimed by taking over an expired in-progress record; the action runs. */
    TAKEOVER,
    /** A stored outcome was replayed; the action did not run. */
    REPLAYED,
    /**
     * The key was in progress elsewhere; the request was rejected (after waiting, in WAIT mode).
     */
    CONFLICT,
    /** The key was reused with a different fingerprint; the request was rejected. */
    MISMATCH,
    /** The action ran and its outcome was stored. */
    COMPLETED,
    /**
     * The key was released after the action ran: it threw, or the outcome policy chose not to store
     * the outcome. {@link #getDetail()} says which.
     */
    RELEASED,
    /** The outcome exceeded maxStoredOutcomeBytes: returned to the caller, not stored, released. */
    OUTCOME_TOO_LARGE,
    /** Completion, release or renewal found that this worker no longer owned the key. */
    LEASE_LOST,
    /** A store call failed, timed out or was refused by the open circuit breaker. */
    STORE_ERROR,
    /** The store was unavailable and the outage policy FAIL_OPEN ran the action without dedup. */
    FAIL_OPEN
  }

  private final Type type;
  private final IdempotencyKey key;
  private final Instant creationTime;
  private final Duration duration;
  private final String detail;
  private final Throwable error;

  public IdempotencyEvent(
      Type type,
      IdempotencyKey key,
      Instant creationTime,
      Duration duration,
      String detail,
      Throwable error) {
    this.type = Objects.requireNonNull(type, "type");
    this.key = Objects.requireNonNull(key, "key");
    this.creationTime = Objects.requireNonNull(creationTime, "creationTime");
    this.duration = duration;
    this.detail = detail == null ? "" : detail;
    this.error = error;
  }

  public Type getType() {
    return type;
  }

  public IdempotencyKey getKey() {
    return key;
  }

  /** Convenience for {@code getKey().operation()}, the natural metrics tag. */
  public String getOperation() {
    return key.operation();
  }

  /** Time from the engine's clock when the event was created. */
  public Instant getCreationTime() {
    return creationTime;
  }

  public Optional<Duration> getDuration() {
    return Optional.ofNullable(duration);
  }

  /** Human-readable detail; never null, possibly empty. */
  public String getDetail() {
    return detail;
  }

  /** The failure behind {@code STORE_ERROR}, {@code FAIL_OPEN} or an action's exception. */
  public Optional<Throwable> getError() {
    return Optional.ofNullable(error);
  }

  @Override
  public String toString() {
    return "IdempotencyEvent["
        + type
        + " "
        + key
        + (detail.isEmpty() ? "" : " " + detail)
        + (error == null ? "" : " error=" + error)
        + "]";
  }
}
