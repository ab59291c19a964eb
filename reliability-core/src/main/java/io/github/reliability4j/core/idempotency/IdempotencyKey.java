package io.github.reliability4j.core.idempotency;

import java.util.Objects;

/**
 * A scoped idempotency key: (scope, operation, client key).
 *
 * <ul>
 *   <li><b>scope</b> — whose key this is: a tenant, an authenticated principal, a consumer group.
 *       Two callers that send the same client key in different scopes never see each other's
 *       records (REFERENCE §1: "never the raw client key alone").
 *   <li><b>operation</b> — an explicit, stable operation name ("create-payment"). It selects the
 *       per-operation {@link IdempotencyConfig} and is never derived from a method name, so a
 *       refactoring cannot silently change which records a request matches.
 *   <li><b>clientKey</b> — the value the client sent (an {@code Idempotency-Key} header, a message
 *       id).
 * </ul>
 *
 * <p><b>Accepted characters and lengths.</b> Every component must be non-empty, must not contain
 * ISO control characters (U+0000–U+001F, U+007F–U+009F) and must be at most {@link
 * #ABSOLUTE_MAX_LENGTH} characters. The configurable limit ({@link
 * IdempotencyConfig#getMaxKeyLength()}, default {@value IdempotencyConfig#DEFAULT_MAX_KEY_LENGTH})
 * is checked by the engine before any store call. Any other Unicode character is accepted; a layer
 * facing a narrower wire format (an HTTP header) may restrict further.
 *
 * <p>Instances are immutable and thread-safe; equality is component-wise.
 */
public final class IdempotencyKey {

  /**
   * Hard upper bound on each component's length, independent of configuration; stores may size
   * columns with it.
   */
  public static final int ABSOLUTE_MAX_LENGTH = 1024;

  private final String scope;
  private final String operation;
  private final String clientKey;
  private final int hash;

  private IdempotencyKey(String scope, String operation, String clientKey) {
    this.scope = scope;
    this.operation = operation;
    this.clientKey = clientKey;
    // Computed once: keys are hashed on every store lookup.
    this.hash = 31 * (31 * scope.hashCode() + operation.hashCode()) + clientKey.hashCode();
  }

  /**
   * Creates a key after validating every component.
   *
   * @throws NullPointerException if any argument is null; the message names it
   * @throws InvalidIdempotencyKeyException if a component is empty, longer than {@link
   *     #ABSOLUTE_MAX_LENGTH} or contains a control character
   */
  public static IdempotencyKey of(String scope, String operation, String clientKey) {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(clientKey, "clientKey");
    validate("scope", scope, ABSOLUTE_MAX_LENGTH);
    validate("operation", operation, ABSOLUTE_MAX_LENGTH);
    validate("clientKey", clientKey, ABSOLUTE_MAX_LENGTH);
    return new IdempotencyKey(scope, operation, clientKey);
  }

  /**
   * Checks every component against {@code maxLength}.
   *
   * @throws InvalidIdempotencyKeyException if a component is longer than {@code maxLength}
   */
  public IdempotencyKey requireMaxLength(int maxLength) {
    // Emptiness and characters were validated once in of(); only the length can fail here.
    requireLength("scope", scope, maxLength);
    requireLength("operation", operation, maxLength);
    requireLength("clientKey", clientKey, maxLength);
    return this;
  }

  private static void requireLength(String component, String value, int maxLength) {
    int length = value.length();
    if (length > maxLength) {
      throw new InvalidIdempotencyKeyException(
          component, InvalidIdempotencyKeyException.Reason.TOO_LONG, length, maxLength, -1);
    }
  }

  static void validate(String component, String value, int maxLength) {
    int length = value.length();
    if (length == 0) {
      throw new InvalidIdempotencyKeyException(
          component, InvalidIdempotencyKeyException.Reason.EMPTY, 0, maxLength, -1);
    }
    if (length > maxLength) {
      throw new InvalidIdempotencyKeyException(
          component, InvalidIdempotencyKeyException.Reason.TOO_LONG, length, maxLength, -1);
    }
    for (int i = 0; i < length; i++) {
      if (Character.isISOControl(value.charAt(i))) {
        throw new InvalidIdempotencyKeyException(
            component,
            InvalidIdempotencyKeyException.Reason.CONTROL_CHARACTER,
            length,
            maxLength,
            i);
      }
    }
  }

  public String scope() {
    return scope;
  }

  public String operation() {
    return operation;
  }

  public String clientKey() {
    return clientKey;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof IdempotencyKey)) {
      return false;
    }
    IdempotencyKey that = (IdempotencyKey) o;
    return hash == that.hash
        && scope.equals(that.scope)
        && operation.equals(that.operation)
        && clientKey.equals(that.clientKey);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** Shows scope and operation and the client key's length only, since keys may be sensitive. */
  @Override
  public String toString() {
    return "IdempotencyKey[scope="
        + scope
        + ", operation="
        + operation
        + ", clientKey=<"
        + clientKey.length()
        + " chars>]";
  }
}
