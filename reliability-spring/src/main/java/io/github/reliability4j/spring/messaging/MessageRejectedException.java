package io.github.reliability4j.spring.messaging;

/**
 * Thrown by an {@link IdempotentListener @IdempotentListener} for a message that must go to the
 * dead-letter path at once and never be retried: it has no key, an invalid key, reuses a key with a
 * different payload, or its handler failed with a poison exception. The key value is deliberately
 * not part of the message (it comes from the producer and may contain anything).
 *
 * <p>On Spring AMQP it is the cause of the {@code AmqpRejectAndDontRequeueException} thrown to the
 * container; on Spring Kafka it is thrown as is and classified as not retryable.
 */
public class MessageRejectedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Why a message is dead-lettered. */
  public enum Reason {
    /** No key header (or key expression result) and missing-key is REJECT. */
    MISSING_KEY,
    /** The key is longer than max-key-length or contains a control character. */
    INVALID_KEY,
    /** The key was seen before with a different payload fingerprint. */
    MISMATCH,
    /** The handler threw a poison exception; the key was completed as failed. */
    POISON
  }

  private final String listener;
  private final Reason reason;

  public MessageRejectedException(String listener, Reason reason, String detail, Throwable cause) {
    super(
        "Message dead-lettered by @IdempotentListener '"
            + listener
            + "': "
            + reason
            + (detail == null ? "" : " (" + detail + ")"),
        cause);
    this.listener = listener;
    this.reason = reason;
  }

  /** The listener's name. */
  public String getListener() {
    return listener;
  }

  public Reason getReason() {
    return reason;
  }
}
