package io.github.reliability4j.core.idempotency;

import io.github.resilience4j.retry.Retry;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Safe client-side retries of outbound calls: one idempotency key per <em>logical</em> operation,
 * reused by every attempt, so the server can deduplicate the retries end to end.
 *
 * <pre>{@code
 * IdempotentRetry retry = IdempotentRetry.of(Retry.of("payments", retryConfig));
 * Receipt r = retry.call(key -> paymentsClient.pay(request, key)); // sends Idempotency-Key: key
 * }</pre>
 *
 * <p>The key is generated once per {@code call}/{@code callChecked} invocation (random UUID by
 * default), before the first attempt; which exceptions are retried, how often and with which
 * back-off is the {@link Retry}'s business. A server answering 409 (the first attempt is still
 * running) is worth retrying; 422 (mismatch) is not.
 *
 * <p>Thread-safe; the call runs on the caller's thread.
 */
public final class IdempotentRetry {

  /** A call that receives the idempotency key and may throw a checked exception. */
  @FunctionalInterface
  public interface KeyedCall<T> {
    T call(String idempotencyKey) throws Exception;
  }

  private final Retry retry;
  private final Supplier<String> keyGenerator;

  private IdempotentRetry(Retry retry, Supplier<String> keyGenerator) {
    this.retry = retry;
    this.keyGenerator = keyGenerator;
  }

  /** Retries with {@code retry}, one random UUID key per logical operation. */
  public static IdempotentRetry of(Retry retry) {
    return of(retry, () -> UUID.randomUUID().toString());
  }

  /**
   * Retries with {@code retry}, one key from {@code keyGenerator} per logical operation. Generated
   * keys are validated like client keys (non-empty, at most {@value
   * IdempotencyConfig#DEFAULT_MAX_KEY_LENGTH} characters, no control characters).
   */
  public static IdempotentRetry of(Retry retry, Supplier<String> keyGenerator) {
    return new IdempotentRetry(
        Objects.requireNonNull(retry, "retry"),
        Objects.requireNonNull(keyGenerator, "keyGenerator"));
  }

  /**
   * Generates one key and calls {@code call} with it, retrying with the same key.
   *
   * @throws NullPointerException if {@code call} is null or the generator returns null
   * @throws InvalidIdempotencyKeyException if the generator returns an invalid key
   */
  public <T> T call(Function<String, T> call) {
    return call(newKey(), call);
  }

  /**
   * Calls {@code call} with a key the caller already holds (e.g. persisted with the outgoing
   * operation so that it survives a restart), retrying with the same key.
   *
   * @throws InvalidIdempotencyKeyException if the key is empty, too long or has control chars
   */
  public <T> T call(String idempotencyKey, Function<String, T> call) {
    Objects.requireNonNull(call, "call");
    String key = validate(idempotencyKey);
    return retry.executeSupplier(() -> call.apply(key));
  }

  /** Like {@link #call(Function)} for calls that throw checked exceptions. */
  public <T> T callChecked(KeyedCall<T> call) throws Exception {
    return callChecked(newKey(), call);
  }

  /** Like {@link #call(String, Function)} for calls that throw checked exceptions. */
  public <T> T callChecked(String idempotencyKey, KeyedCall<T> call) throws Exception {
    Objects.requireNonNull(call, "call");
    String key = validate(idempotencyKey);
    return retry.executeCallable(() -> call.call(key));
  }

  /** The retry used (for metrics and events). */
  public Retry getRetry() {
    return retry;
  }

  private String newKey() {
    return Objects.requireNonNull(keyGenerator.get(), "keyGenerator returned null");
  }

  private static String validate(String key) {
    Objects.requireNonNull(key, "idempotencyKey");
    IdempotencyKey.validate("clientKey", key, IdempotencyConfig.DEFAULT_MAX_KEY_LENGTH);
    return key;
  }
}
