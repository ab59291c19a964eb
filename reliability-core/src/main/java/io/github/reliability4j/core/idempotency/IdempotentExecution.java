package io.github.reliability4j.core.idempotency;

import io.github.reliability4j.core.idempotency.event.IdempotencyEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request's hold on a key, returned by {@link Idempotency#begin}: the lower-level API behind
 * {@link Idempotency#execute}, for callers that produce the outcome themselves (an HTTP filter
 * capturing a response, a transactional completion on the caller's JDBC connection).
 *
 * <p>Kinds:
 *
 * <ul>
 *   <li>{@link Kind#OWNER} — this request owns the key: run the action, then call exactly one of
 *       {@link #complete}, {@link #release} or {@link #markCompletedExternally}. The lease is
 *       renewed in the background until then. {@link #close()} releases the key if none was called,
 *       so try-with-resources never leaks an in-progress record.
 *   <li>{@link Kind#REPLAY} — an earlier execution completed: send {@link #replayedOutcome()}; do
 *       not run the action.
 *   <li>{@link Kind#UNGUARDED} — the store was unavailable and the outage policy is FAIL_OPEN: run
 *       the action without dedup; {@link #complete} stores nothing.
 * </ul>
 *
 * <p>Thread-safety: the finishing methods may be called from any thread, and only the first of them
 * takes effect; later calls to {@code complete} or {@code release} throw {@link
 * IllegalStateException}, later {@code close()} calls do nothing.
 */
public final class IdempotentExecution implements AutoCloseable {

  /** See the class documentation. */
  public enum Kind {
    OWNER,
    REPLAY,
    UNGUARDED
  }

  private final Idempotency engine;
  private final IdempotencyConfig config;
  private final IdempotencyKey key;
  private final Kind kind;
  private final String ownerToken;
  private final boolean takeover;
  private final StoredOutcome replayed;
  private final AtomicBoolean finished = new AtomicBoolean();
  private final long startNanos = System.nanoTime();
  private volatile Instant leaseExpiry;
  private volatile boolean leaseLost;
  private volatile boolean renewing;
  private long renewalIntervalNanos; // written before registration, read by the sweeper
  private volatile long nextRenewalNanos;

  private IdempotentExecution(
      Idempotency engine,
      IdempotencyConfig config,
      IdempotencyKey key,
      Kind kind,
      String ownerToken,
      Instant leaseExpiry,
      boolean takeover,
      StoredOutcome replayed) {
    this.engine = engine;
    this.config = config;
    this.key = key;
    this.kind = kind;
    this.ownerToken = ownerToken;
    this.leaseExpiry = leaseExpiry;
    this.takeover = takeover;
    this.replayed = replayed;
    if (kind != Kind.OWNER) {
      finished.set(true);
    }
  }

  static IdempotentExecution owner(
      Idempotency engine, IdempotencyConfig config, IdempotencyKey key, ClaimResult.Acquired a) {
    return new IdempotentExecution(
        engine, config, key, Kind.OWNER, a.ownerToken(), a.leaseExpiry(), a.takeover(), null);
  }

  static IdempotentExecution replay(
      Idempotency engine, IdempotencyConfig config, IdempotencyKey key, StoredOutcome outcome) {
    return new IdempotentExecution(engine, config, key, Kind.REPLAY, null, null, false, outcome);
  }

  static IdempotentExecution unguarded(
      Idempotency engine, IdempotencyConfig config, IdempotencyKey key) {
    return new IdempotentExecution(engine, config, key, Kind.UNGUARDED, null, null, false, null);
  }

  public Kind kind() {
    return kind;
  }

  public IdempotencyKey key() {
    return key;
  }

  /** The config that applies to this key's operation. */
  public IdempotencyConfig config() {
    return config;
  }

  /** The outcome to replay, present only for {@link Kind#REPLAY}. */
  public Optional<StoredOutcome> replayedOutcome() {
    return Optional.ofNullable(replayed);
  }

  /** The fencing token, present only for {@link Kind#OWNER}. */
  public Optional<String> ownerToken() {
    return Optional.ofNullable(ownerToken);
  }

  /**
   * The current lease expiry (moves forward with renewals); present only for {@link Kind#OWNER}.
   */
  public Optional<Instant> leaseExpiry() {
    return Optional.ofNullable(leaseExpiry);
  }

  /** True if this owner took the key over from an expired in-progress record. */
  public boolean isTakeover() {
    return takeover;
  }

  /** True once a renewal found that this worker no longer owns the key. */
  public boolean isLeaseLost() {
    return leaseLost;
  }

  /**
   * Stores {@code outcome} if the size limit and the outcome policy allow, otherwise releases the
   * key. Never throws for store trouble or lost ownership: the returned status reports it (the
   * action already ran, so its outcome belongs to the caller either way).
   *
   * @return what happened; {@link IdempotencyResult.Status#NOT_DEDUPLICATED} for {@link
   *     Kind#UNGUARDED}
   * @throws IllegalStateException for {@link Kind#REPLAY}, or if already finished
   * @throws RuntimeException whatever the outcome policy throws (the key is released first)
   */
  public IdempotencyResult.Status complete(StoredOutcome outcome) {
    Objects.requireNonNull(outcome, "outcome");
    if (kind == Kind.REPLAY) {
      throw new IllegalStateException("A replayed execution of " + key + " cannot complete");
    }
    if (kind == Kind.UNGUARDED) {
      return IdempotencyResult.Status.NOT_DEDUPLICATED;
    }
    finish("complete");
    try {
      long size = outcome.sizeInBytes();
      if (size > config.getMaxStoredOutcomeBytes()) {
        engine.publish(
            IdempotencyEvent.Type.OUTCOME_TOO_LARGE,
            key,
            elapsed(),
            "outcome of "
                + size
                + " bytes exceeds maxStoredOutcomeBytes "
                + config.getMaxStoredOutcomeBytes()
                + "; returned, not stored, key released",
            null);
        doRelease(null, false);
        return IdempotencyResult.Status.OUTCOME_TOO_LARGE;
      }
      boolean store;
      try {
        store = config.getOutcomePolicy().shouldStore(outcome);
      } catch (RuntimeException | Error e) {
        doRelease(e, true);
        throw e;
      }
      if (!store) {
        engine.publish(
            IdempotencyEvent.Type.RELEASED,
            key,
            elapsed(),
            "outcome policy did not store status " + outcome.status(),
            null);
        doRelease(null, false);
        return IdempotencyResult.Status.NOT_STORED_BY_POLICY;
      }
      Boolean done =
          engine.storeCall(
              key,
              "complete",
              () -> engine.callStore().complete(key, ownerToken, outcome, config.getRetention()));
      if (done == null) {
        return IdempotencyResult.Status.STORE_ERROR;
      }
      if (!done) {
        leaseLost = true;
        engine.publish(
            IdempotencyEvent.Type.LEASE_LOST,
            key,
            elapsed(),
            "complete refused: lease expired or taken over; outcome not stored",
            null);
        return IdempotencyResult.Status.LEASE_LOST;
      }
      engine.publish(
          IdempotencyEvent.Type.COMPLETED, key, elapsed(), "status " + outcome.status(), null);
      return IdempotencyResult.Status.STORED;
    } finally {
      engine.signal(key);
    }
  }

  /**
   * Like {@link #complete} but throws {@link LeaseLostException} if the outcome could not be stored
   * because this worker no longer owns the key.
   */
  public IdempotencyResult.Status completeOrThrow(StoredOutcome outcome) {
    IdempotencyResult.Status status = complete(outcome);
    if (status == IdempotencyResult.Status.LEASE_LOST) {
      throw new LeaseLostException(key, ownerToken);
    }
    return status;
  }

  /**
   * Releases the key so a retry runs the action again (the action failed, or its outcome must not
   * be replayed). Store trouble is reported through events, not thrown; the lease then simply
   * expires.
   *
   * @param cause why (for the event), may be null
   * @throws IllegalStateException for {@link Kind#REPLAY}, or if already finished
   */
  public void release(Throwable cause) {
    if (kind == Kind.REPLAY) {
      throw new IllegalStateException("A replayed execution of " + key + " cannot be released");
    }
    if (kind == Kind.UNGUARDED) {
      return;
    }
    finish("release");
    try {
      doRelease(cause, true);
    } finally {
      engine.signal(key);
    }
  }

  /**
   * Records that the caller completed the key itself, with {@link #ownerToken()}, in the same
   * transaction as its business write (a JDBC store's transactional completion). Stops renewal and
   * wakes waiters; touches no store.
   *
   * @throws IllegalStateException unless {@link Kind#OWNER} and not yet finished
   */
  public void markCompletedExternally() {
    if (kind != Kind.OWNER) {
      throw new IllegalStateException("Only an owner of " + key + " can complete it");
    }
    finish("markCompletedExternally");
    engine.publish(IdempotencyEvent.Type.COMPLETED, key, elapsed(), "completed externally", null);
    engine.signal(key);
  }

  /** Releases the key if this owner has not finished yet; otherwise does nothing. */
  @Override
  public void close() {
    if (kind == Kind.OWNER && finished.compareAndSet(false, true)) {
      stopRenewal();
      try {
        doRelease(null, true, "closed without complete or release");
      } finally {
        engine.signal(key);
      }
    }
  }

  private void finish(String method) {
    if (!finished.compareAndSet(false, true)) {
      throw new IllegalStateException(
          method + " called on an already finished execution of " + key);
    }
    stopRenewal();
  }

  private void doRelease(Throwable cause, boolean publishReleased) {
    doRelease(
        cause,
        publishReleased,
        cause == null ? "released" : "released after the action threw " + cause);
  }

  private void doRelease(Throwable cause, boolean publishReleased, String detail) {
    Boolean done =
        engine.storeCall(key, "release", () -> engine.callStore().release(key, ownerToken));
    if (done == null) {
      return;
    }
    if (!done) {
      leaseLost = true;
      engine.publish(
          IdempotencyEvent.Type.LEASE_LOST,
          key,
          elapsed(),
          "release refused: lease expired or taken over",
          cause);
    } else if (publishReleased) {
      engine.publish(IdempotencyEvent.Type.RELEASED, key, elapsed(), detail, cause);
    }
  }

  void startRenewal() {
    Optional<Duration> interval = config.getLeaseRenewalInterval();
    if (kind != Kind.OWNER || interval.isEmpty()) {
      return;
    }
    long nanos = interval.get().toNanos();
    renewalIntervalNanos = nanos;
    nextRenewalNanos = System.nanoTime() + nanos;
    engine.leaseSweeper().register(this, nanos);
    renewing = true;
    if (finished.get()) {
      stopRenewal();
    }
  }

  /** Called by the engine's {@link LeaseSweeper} on each tick: renews if the interval passed. */
  void renewIfDue(long nowNanos) {
    if (nowNanos - nextRenewalNanos < 0) {
      return;
    }
    nextRenewalNanos = nowNanos + renewalIntervalNanos;
    renewOnce();
  }

  private void renewOnce() {
    if (finished.get() || leaseLost) {
      stopRenewal();
      return;
    }
    Optional<Instant> renewed =
        engine.storeCall(
            key,
            "renew",
            () -> engine.callStore().renew(key, ownerToken, config.getLeaseDuration()));
    if (renewed == null) {
      return;
    }
    if (renewed.isPresent()) {
      leaseExpiry = renewed.get();
    } else if (!finished.get()) {
      leaseLost = true;
      stopRenewal();
      engine.publish(
          IdempotencyEvent.Type.LEASE_LOST,
          key,
          elapsed(),
          "renewal refused: lease expired or taken over while the action was running",
          null);
    }
  }

  private void stopRenewal() {
    if (renewing) {
      engine.leaseSweeper().unregister(this);
    }
  }

  private Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }
}
