package io.github.reliability4j.core.idempotency;

import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Wraps a message handler so that a redelivered message is acknowledged without being processed
 * twice. Built on the same {@link Idempotency} engine and stores as request deduplication: the
 * message key becomes the client key of {@code IdempotencyKey(scope, operation, messageKey)}.
 *
 * <pre>{@code
 * IdempotentConsumer<OrderMessage> consumer = IdempotentConsumer
 *     .builder(idempotency, "orders-subscription", "apply-order", OrderMessage::messageId,
 *         m -> RequestFingerprint.sha256(m.payload()), this::applyOrder)
 *     .build();
 * // in the listener: consumer.accept(message); then acknowledge
 * }</pre>
 *
 * <p>Per message, {@link #accept} returns normally when the message is processed or was a duplicate
 * — acknowledge it in both cases. It throws when the message must be redelivered later: the handler
 * threw (key released, exception rethrown), the same message is being processed by another consumer
 * right now ({@link IdempotencyConflictException}, unless the operation uses {@link
 * ConcurrencyMode#WAIT}), or the store is down under {@link OutagePolicy#FAIL_CLOSED}. A message
 * whose key was seen with a different payload throws {@link IdempotencyKeyMismatchException}: it
 * will never succeed, route it to a dead-letter queue.
 *
 * <p>Thread-safe if the handler is. The handler runs on the caller's thread.
 *
 * @param <M> message type
 */
public final class IdempotentConsumer<M> implements Consumer<M> {

  private static final OutcomeCodec<Void> NOTHING = OutcomeCodec.of(v -> new byte[0], b -> null);

  private final Idempotency idempotency;
  private final String scope;
  private final String operation;
  private final Function<? super M, String> messageKey;
  private final Function<? super M, RequestFingerprint> fingerprint;
  private final Consumer<? super M> handler;

  private IdempotentConsumer(Builder<M> b) {
    this.idempotency = b.idempotency;
    this.scope = b.scope;
    this.operation = b.operation;
    this.messageKey = b.messageKey;
    this.fingerprint = b.fingerprint;
    this.handler = b.handler;
  }

  /**
   * Starts a builder with every required part.
   *
   * @param scope who consumes (subscription, consumer group, tenant)
   * @param operation stable operation name; selects the engine's per-operation config
   * @param messageKey extracts the deduplication key (message id, business key)
   * @param fingerprint canonical payload digest; a redelivery with another payload is a mismatch
   * @param handler processes a message
   * @throws NullPointerException if any argument is null
   * @throws InvalidIdempotencyKeyException if scope or operation is not a valid key component
   */
  public static <M> Builder<M> builder(
      Idempotency idempotency,
      String scope,
      String operation,
      Function<? super M, String> messageKey,
      Function<? super M, RequestFingerprint> fingerprint,
      Consumer<? super M> handler) {
    return new Builder<>(idempotency, scope, operation, messageKey, fingerprint, handler);
  }

  /** Like {@link #process} but discards the status, for use as a plain {@link Consumer}. */
  @Override
  public void accept(M message) {
    process(message);
  }

  /**
   * Processes {@code message} once per key.
   *
   * @return {@link IdempotencyResult.Status#REPLAYED} for a duplicate (handler not called),
   *     otherwise how the processed message was recorded
   * @throws NullPointerException if the message is null or the key extractor returns null
   */
  public IdempotencyResult.Status process(M message) {
    Objects.requireNonNull(message, "message");
    String clientKey =
        Objects.requireNonNull(messageKey.apply(message), "messageKey returned null");
    RequestFingerprint fp =
        Objects.requireNonNull(fingerprint.apply(message), "fingerprint returned null");
    IdempotencyKey key = IdempotencyKey.of(scope, operation, clientKey);
    return idempotency
        .execute(
            key,
            fp,
            NOTHING,
            () -> {
              handler.accept(message);
              return null;
            })
        .status();
  }

  /** Builder for {@link IdempotentConsumer}; all parts are given up front. */
  public static final class Builder<M> {
    private final Idempotency idempotency;
    private final String scope;
    private final String operation;
    private final Function<? super M, String> messageKey;
    private final Function<? super M, RequestFingerprint> fingerprint;
    private final Consumer<? super M> handler;

    private Builder(
        Idempotency idempotency,
        String scope,
        String operation,
        Function<? super M, String> messageKey,
        Function<? super M, RequestFingerprint> fingerprint,
        Consumer<? super M> handler) {
      this.idempotency = Objects.requireNonNull(idempotency, "idempotency");
      this.scope = Objects.requireNonNull(scope, "scope");
      this.operation = Objects.requireNonNull(operation, "operation");
      this.messageKey = Objects.requireNonNull(messageKey, "messageKey");
      this.fingerprint = Objects.requireNonNull(fingerprint, "fingerprint");
      this.handler = Objects.requireNonNull(handler, "handler");
      IdempotencyKey.validate("scope", scope, IdempotencyKey.ABSOLUTE_MAX_LENGTH);
      IdempotencyKey.validate("operation", operation, IdempotencyKey.ABSOLUTE_MAX_LENGTH);
    }

    public IdempotentConsumer<M> build() {
      return new IdempotentConsumer<>(this);
    }
  }
}
