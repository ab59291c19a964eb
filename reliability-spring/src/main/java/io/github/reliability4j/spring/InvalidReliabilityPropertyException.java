package io.github.reliability4j.spring;

/**
 * Thrown at start-up when a {@code reliability.*} property, or a combination of them, cannot be
 * honoured. The message names the property, the offending value and what is allowed; Spring Boot's
 * failure analysis turns it into a start-up report that points at the property.
 */
public class InvalidReliabilityPropertyException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final String property;
  private final transient Object value;
  private final String reason;

  /**
   * @param property the full property name, e.g. {@code reliability.idempotency.retention}
   * @param value the value that was bound (may be {@code null})
   * @param reason what is wrong and what is allowed, e.g. "must be positive"
   */
  public InvalidReliabilityPropertyException(String property, Object value, String reason) {
    this(property, value, reason, null);
  }

  public InvalidReliabilityPropertyException(
      String property, Object value, String reason, Throwable cause) {
    super(property + " " + reason + ", but was " + value, cause);
    this.property = property;
    this.value = value;
    this.reason = reason;
  }

  /** The full name of the offending property. */
  public String getProperty() {
    return property;
  }

  /** The bound value, or {@code null}. */
  public Object getValue() {
    return value;
  }

  /** What is wrong with the value and what would be accepted. */
  public String getReason() {
    return reason;
  }
}
