package io.github.reliability4j.core.idempotency;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Storage SPI for idempotency records. Every implementation must pass {@code
 * io.github.reliability4j.test.idempotency.AbstractIdempotencyStoreContract} and the jqwik model
 * test {@code AbstractIdempotencyStoreProperties} (module reliability-test).
 *
 * <h2>Records</h2>
 *
 * A key has at most one live record: {@link RecordState#IN_PROGRESS} with an owner token and a
 * lease expiry, or {@link RecordState#COMPLETED} with a stored outcome and a retention expiry. A
 * record is <em>live</em> while {@code now < expiry}, where {@code now} comes from the store's own
 * clock (implementations take a {@link java.time.Clock} so tests can move time). An expired
 * in-progress record counts as absent: the next claim takes the key over (with the <em>new</em>
 * request's fingerprint) and reports {@code takeover = true}. An expired completed record is gone.
 *
 * <h2>Atomicity</h2>
 *
 * <ul>
 *   <li>{@link #claim} is one atomic step (one round trip for a remote store): of any number of
 *       concurrent claims for an absent or expired key, exactly one gets {@link
 *       ClaimResult.Acquired}.
 *   <li>{@link #complete}, {@link #release} and {@link #renew} are compare-and-set operations on
 *       (key, owner token, state IN_PROGRESS, lease not expired). They change nothing and return
 *       {@code false} (or empty) when the caller no longer owns the key: its lease expired, another
 *       worker took over, or it already completed/released. A fenced-off worker can therefore never
 *       overwrite or delete the new owner's record. They do <em>not</em> throw for lost ownership;
 *       {@link LeaseLostException} is for callers that want to turn {@code false} into an exception
 *       (e.g. to roll back a transaction).
 * </ul>
 *
 * <h2>Errors and thread-safety</h2>
 *
 * Implementations are thread-safe. Infrastructure failures (connection lost, timeout) are thrown as
 * {@link IdempotencyStoreException} (or any other {@link RuntimeException}); the engine treats
 * every exception from a store as an outage and applies the operation's {@link OutagePolicy}. A
 * store never calls back into user code. A call that a bound cut off (the engine's store-call
 * timeout, or the store's own bound in its {@link #withCallTimeout} view) is an {@link
 * IdempotencyStoreTimeoutException}.
 *
 * <h2>Not guaranteed</h2>
 *
 * A bounded store (the in-memory one) may evict live records under memory pressure; a store's clock
 * is its own, so leases are only as accurate as the clocks of the nodes sharing the store.
 */
public interface IdempotencyStore {

  /**
   * Atomically claims {@code key} or reports what holds it.
   *
   * <p>Decision, evaluated atomically at the store's {@code now}:
   *
   * <ol>
   *   <li>no live record → create IN_PROGRESS(fingerprint, new owner token, now + lease) and return
   *       {@link ClaimResult.Acquired} ({@code takeover} true if an expired in-progress record was
   *       replaced; a store must report it for records that expired less than a minute ago and may
   *       report {@code false} once it has purged an older one);
   *   <li>live record with a different fingerprint → {@link ClaimResult.Mismatch};
   *   <li>live COMPLETED → {@link ClaimResult.Completed};
   *   <li>live IN_PROGRESS → {@link ClaimResult.InProgress}.
   * </ol>
   *
   * @param leaseDuration positive lease length
   */
  ClaimResult claim(IdempotencyKey key, RequestFingerprint fingerprint, Duration leaseDuration);

  /**
   * {@link #claim(IdempotencyKey, RequestFingerprint, Duration)} with the retention the caller will
   * pass to {@link #complete} if it acquires the key (the engine passes its operation's {@code
   * retention}). The hint changes no outcome: a store may use it to fix at claim time what
   * completion would otherwise change (the JDBC store sets its indexed purge key to {@code now +
   * lease + retentionHint}, so that a completion touches no indexed column), and must still keep a
   * completed record for the retention passed to {@code complete}, longer or shorter than the hint.
   * The default ignores the hint.
   *
   * @param leaseDuration positive lease length
   * @param retentionHint positive retention the caller expects to complete with
   */
  default ClaimResult claim(
      IdempotencyKey key,
      RequestFingerprint fingerprint,
      Duration leaseDuration,
      Duration retentionHint) {
    java.util.Objects.requireNonNull(retentionHint, "retentionHint");
    return claim(key, fingerprint, leaseDuration);
  }

  /**
   * Compare-and-set IN_PROGRESS(ownerToken, live lease) → COMPLETED(outcome, now + retention).
   *
   * @return true if this owner's record is now completed; false if the caller did not own a live
   *     lease (nothing changed)
   */
  boolean complete(
      IdempotencyKey key, String ownerToken, StoredOutcome outcome, Duration retention);

  /**
   * Compare-and-set delete of IN_PROGRESS(ownerToken, live lease), so a retry can run at once.
   *
   * @return true if this owner's record was deleted; false if the caller did not own a live lease
   *     (nothing changed)
   */
  boolean release(IdempotencyKey key, String ownerToken);

  /**
   * Compare-and-set lease extension: sets the lease expiry to {@code now + leaseDuration}.
   *
   * @return the new lease expiry, or empty if the caller did not own a live lease (nothing changed)
   */
  Optional<Instant> renew(IdempotencyKey key, String ownerToken, Duration leaseDuration);

  /** The live record for {@code key}, if any; expired records are reported as absent. */
  Optional<IdempotencyRecord> find(IdempotencyKey key);

  /**
   * Whether every call of this store completes on the caller's thread without I/O, locks held
   * across I/O, or any other unbounded wait (an in-heap store). The engine calls a local store
   * directly: without the store-call timeout (no hand-off to the store executor) and without the
   * circuit breaker, since such a store has no outage to time out or to trip a breaker on; an
   * exception it throws is still treated as a store failure under the {@link OutagePolicy}.
   *
   * <p>Default {@code false}. Return {@code true} only if a call can never hang: a local store that
   * does hang hangs the caller.
   */
  default boolean isLocal() {
    return false;
  }

  /**
   * A view of this store that bounds its own calls: every call of the returned store returns or
   * throws within {@code timeout} of its start, by the store's own means (a query and network
   * timeout, a bounded wait for a pooled connection, a command timeout), and throws {@link
   * IdempotencyStoreTimeoutException} when that bound cuts it off. The view shares this store's
   * records (a record written through either is seen through both) and its resources.
   *
   * <p>The engine asks for this view once, with its store-call timeout, when it is built. When a
   * view is returned it calls the view on the caller's thread, through the circuit breaker, instead
   * of handing each call to its store executor and abandoning it at the timeout: no thread hand-off
   * per call, and a hung call frees the caller's thread itself instead of keeping an executor
   * thread.
   *
   * <p>Default: empty, the store cannot bound its calls (the engine then keeps the hand-off).
   * Return a view only if the bound holds for every call in every situation the store can be in — a
   * database that stopped answering, a row locked by another transaction, an exhausted pool, a
   * reconnecting client — since the engine then has no other way to free a caller. A store whose
   * calls are bounded only under some of its configurations returns empty under the others.
   *
   * @param timeout positive bound per call
   * @return the bounded view, or empty if this store cannot bound its calls to {@code timeout}
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  default Optional<IdempotencyStore> withCallTimeout(Duration timeout) {
    requireCallTimeout(timeout);
    return Optional.empty();
  }

  /**
   * Checks a {@link #withCallTimeout} argument.
   *
   * @throws IllegalArgumentException if not positive
   */
  static Duration requireCallTimeout(Duration timeout) {
    java.util.Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("call timeout must be positive, but was " + timeout);
    }
    return timeout;
  }
}
