package io.github.reliability4j.spring.internal;

import org.springframework.validation.Errors;

/**
 * Validates {@code reliability.*} properties by handing each value to the core or JDBC builder
 * setter that owns it, so a property accepts exactly what the builder accepts and reports the
 * builder's own message (one rule and one message per setting, wherever it is set). Not API.
 */
public final class PropertyChecks {

  private PropertyChecks() {}

  /**
   * Runs {@code setter}; if the builder refuses the value, rejects {@code field} with the builder's
   * message.
   *
   * @return whether the value was accepted
   */
  public static boolean check(Errors errors, String field, Runnable setter) {
    try {
      setter.run();
      return true;
    } catch (IllegalArgumentException | IllegalStateException | NullPointerException e) {
      // A null value reaches the builders' requireNonNull, whose message is only the setting name.
      errors.rejectValue(
          field, "invalid", e instanceof NullPointerException ? "must be set" : e.getMessage());
      return false;
    }
  }
}
