package io.github.reliability4j.spring.internal;

import io.github.reliability4j.spring.InvalidReliabilityPropertyException;
import java.util.function.Consumer;
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

  /**
   * Hands {@code value} to the builder setter that owns {@code property}, for settings whose
   * builder exists only once its component does (a probe over a pool or a broker client): if the
   * builder refuses the value, throws naming the property, with the builder's rule as the reason.
   *
   * @throws InvalidReliabilityPropertyException if the builder refuses the value
   */
  public static <T> void apply(String property, T value, Consumer<? super T> setter) {
    try {
      setter.accept(value);
    } catch (IllegalArgumentException | IllegalStateException | NullPointerException e) {
      throw new InvalidReliabilityPropertyException(property, value, rule(e), e);
    }
  }

  /**
   * Runs {@code build}, which checks how settings combine; if the builder refuses the combination,
   * throws naming {@code property} (the setting the builder's rule is about).
   *
   * @throws InvalidReliabilityPropertyException if the builder refuses the combination
   */
  public static <T> T build(String property, Object value, java.util.function.Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new InvalidReliabilityPropertyException(property, value, rule(e), e);
    }
  }

  /** The builder's rule without its setting name and value ("must be positive"). */
  private static String rule(RuntimeException e) {
    if (e instanceof NullPointerException || e.getMessage() == null) {
      return "must be set";
    }
    String rule = e.getMessage();
    int but = rule.lastIndexOf(", but was ");
    if (but > 0) {
      rule = rule.substring(0, but);
    }
    int must = rule.indexOf(" must ");
    if (must > 0 && rule.indexOf(' ') == must) {
      rule = rule.substring(must + 1);
    }
    return rule;
  }
}
