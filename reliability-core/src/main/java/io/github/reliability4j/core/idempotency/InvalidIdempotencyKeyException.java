package io.github.reliability4j.core.idempotency;

/**
 * Thrown before any store call when an idempotency key component is empty, too long or contains a
 * control character.
 *
 * <p>The offending value is deliberately not part of the message: keys are client supplied and may
 * contain anything, including secrets or terminal escape sequences. The component name, the reason,
 * the length and (for {@link Reason#CONTROL_CHARACTER}) the index of the first offending character
 * are available through getters.
 */
public class InvalidIdempotencyKeyException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  /** Why a key component was rejected. */
  public enum Reason {
    /** The component is the empty string. */
    EMPTY,
    /** The component is longer than the configured maximum. */
    TOO_LONG,
    /** The component contains an ISO control character (U+0000–U+001F, U+007F–U+009F). */
    CONTROL_CHARACTER
  }

  private final String component;
  private final Reason reason;
  private final int length;
  private final int maxLength;
  private final int index;

  public InvalidIdempotencyKeyException(
      String component, Reason reason, int length, int maxLength, int index) {
    super(message(component, reason, length, maxLength, index));
    this.component = component;
    this.reason = reason;
    this.length = length;
    this.maxLength = maxLength;
    this.index = index;
  }

  private static String message(
      String component, Reason reason, int length, int maxLength, int index) {
    switch (reason) {
      case EMPTY:
        return "Idempotency key " + component + " must not be empty";
      case TOO_LONG:
        return "Idempotency key "
            + component
            + " must be at most "
            + maxLength
            + " characters, but was "
            + length;
      case CONTROL_CHARACTER:
      default:
        return "Idempotency key "
            + component
            + " must not contain control characters (U+0000-U+001F, U+007F-U+009F), but has one"
            + " at index "
            + index;
    }
  }

  /** The rejected component: {@code "scope"}, {@code "operation"} or {@code "clientKey"}. */
  public String getComponent() {
    return component;
  }

  public Reason getReason() {
    return reason;
  }

  /** Length of the rejected component in UTF-16 chars. */
  public int getLength() {
    return length;
  }

  /** The maximum length in force when the component was checked. */
  public int getMaxLength() {
    return maxLength;
  }

  /** Index of the first control character, or -1 if the reason is not a control character. */
  public int getIndex() {
    return index;
  }
}
