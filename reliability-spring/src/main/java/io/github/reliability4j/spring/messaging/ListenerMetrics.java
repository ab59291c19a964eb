package io.github.reliability4j.spring.messaging;

/**
 * Counts what each {@link IdempotentListener @IdempotentListener} did with a message: the counter
 * {@value #MESSAGES}, tags {@code listener} and {@code outcome} (see {@link Outcome}).
 */
interface ListenerMetrics {

  String MESSAGES = "reliability.messaging.listener.messages";

  /** What happened to one delivery; the tag value is the lower-case name. */
  enum Outcome {
    /** The handler ran and its key was completed. */
    PROCESSED,
    /** A completed key: acknowledged without running the handler. */
    DUPLICATE,
    /** Same key, different payload: dead-lettered. */
    MISMATCHED,
    /** Same key in flight elsewhere (after waiting under WAIT): redelivered later. */
    CONFLICT,
    /** No key or an invalid key: dead-lettered. */
    REJECTED,
    /** No key, processed without deduplication (missing-key PROCESS). */
    NO_KEY,
    /** The handler threw a poison exception: completed as failed and dead-lettered. */
    POISON,
    /** The handler threw another exception: key released, redelivered by the framework. */
    FAILED,
    /** The store was unavailable (fail-closed): not acknowledged, redelivered. */
    STORE_UNAVAILABLE,
    /** The store was unavailable and the policy is fail-open: processed without deduplication. */
    FAIL_OPEN;

    final String tag = name().toLowerCase(java.util.Locale.ROOT);
  }

  void record(String listener, Outcome outcome);

  /** Records {@code count} deliveries with the same outcome (a batch). */
  default void record(String listener, Outcome outcome, int count) {
    for (int i = 0; i < count; i++) {
      record(listener, outcome);
    }
  }

  ListenerMetrics NONE = (listener, outcome) -> {};
}
