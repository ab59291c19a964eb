package io.github.reliability4j.core.idempotency;

import java.time.Instant;
import java.util.Objects;

/**
 * What {@link IdempotencyStore#claim} found: exactly one of four results. The engine maps them to
 * "run the action", "replay", "conflict" and "mismatch"; an HTTP layer maps them to executing, a
 * replayed response, 409 and 422.
 */
public sealed interface ClaimResult
    permits ClaimResult.Acquired,
        ClaimResult.Completed,
        ClaimResult.InProgress,
        ClaimResult.Mismatch {

  /**
   * The caller now owns the key until {@code leaseExpiry} and must run the action, then {@link
   * IdempotencyStore#complete complete} or {@link IdempotencyStore#release release} with {@code
   * ownerToken}.
   *
   * @param ownerToken opaque fencing token, unique per successful claim
   * @param leaseExpiry when the lease ends unless renewed
   * @param takeover true if an expired in-progress record of another owner was replaced
   */
  record Acquired(String ownerToken, Instant leaseExpiry, boolean takeover) implements ClaimResult {
    public Acquired {
      Objects.requireNonNull(ownerToken, "ownerToken");
      Objects.requireNonNull(leaseExpiry, "leaseExpiry");
    }
  }

  /**
   * The key was completed earlier with the same fingerprint; replay {@code outcome}.
   *
   * @param outcome the stored outcome
   * @param retentionExpiry when the record will be forgotten
   */
  record Completed(StoredOutcome outcome, Instant retentionExpiry) implements ClaimResult {
    public Completed {
      Objects.requireNonNull(outcome, "outcome");
      Objects.requireNonNull(retentionExpiry, "retentionExpiry");
    }
  }

  /**
   * Another owner holds a live lease on the key with the same fingerprint.
   *
   * @param leaseExpiry when that lease ends unless renewed (a hint for Retry-After)
   */
  record InProgress(Instant leaseExpiry) implements ClaimResult {
    public InProgress {
      Objects.requireNonNull(leaseExpiry, "leaseExpiry");
    }
  }

  /**
   * A live record (in progress or completed) exists with a different fingerprint: the key was
   * reused for a different request.
   *
   * @param existingState state of the record found
   */
  record Mismatch(RecordState existingState) implements ClaimResult {
    public Mismatch {
      Objects.requireNonNull(existingState, "existingState");
    }
  }
}
