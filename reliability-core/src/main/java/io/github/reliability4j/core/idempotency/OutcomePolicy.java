package io.github.reliability4j.core.idempotency;

import java.util.Objects;
import java.util.function.IntPredicate;

/**
 * Decides whether an outcome is stored (and replayed to retries) or the key is released (so a retry
 * runs the action again). Exceptions thrown by the action always release the key and are rethrown;
 * to store an error, return it as an outcome.
 *
 * <p>Must be thread-safe and fast; it runs on the caller's thread. If it throws, the key is
 * released and the exception propagates to the caller.
 */
@FunctionalInterface
public interface OutcomePolicy {

  /** True to store {@code outcome}; false to release the key. */
  boolean shouldStore(StoredOutcome outcome);

  /**
   * The default: store successes (status below 400) and terminal client errors (4xx); release on
   * server errors (5xx and above) and on the retryable client errors 408 Request Timeout, 425 Too
   * Early and 429 Too Many Requests.
   */
  static OutcomePolicy storeSuccessesAndClientErrors() {
    return outcome -> {
      int s = outcome.status();
      return s < 500 && s != 408 && s != 425 && s != 429;
    };
  }

  /** Store only outcomes whose status is below 400. */
  static OutcomePolicy storeSuccessesOnly() {
    return outcome -> outcome.status() < 400;
  }

  /** Store every outcome, including server errors (Stripe's choice). */
  static OutcomePolicy storeAll() {
    return outcome -> true;
  }

  /** Store outcomes whose status matches {@code statusPredicate}. */
  static OutcomePolicy byStatus(IntPredicate statusPredicate) {
    Objects.requireNonNull(statusPredicate, "statusPredicate");
    return outcome -> statusPredicate.test(outcome.status());
  }
}
