package io.github.reliability4j.core.idempotency;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of a live record, as returned by {@link IdempotencyStore#find}. Immutable.
 *
 * @param key the key
 * @param fingerprint fingerprint of the request that created the record
 * @param state in progress or completed
 * @param ownerToken the owner's fencing token while in progress, {@code null} once completed
 * @param expiry lease expiry while in progress, retention expiry once completed
 * @param outcome the stored outcome once completed, {@code null} while in progress
 */
public record IdempotencyRecord(
    IdempotencyKey key,
    RequestFingerprint fingerprint,
    RecordState state,
    String ownerToken,
    Instant expiry,
    StoredOutcome outcome) {

  public IdempotencyRecord {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(expiry, "expiry");
    if (state == RecordState.IN_PROGRESS) {
      Objects.requireNonNull(ownerToken, "ownerToken");
    } else {
      Objects.requireNonNull(outcome, "outcome");
    }
  }

  public Optional<StoredOutcome> storedOutcome() {
    return Optional.ofNullable(outcome);
  }
}
