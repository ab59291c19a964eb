package io.github.reliability4j.core.health.internal;

import java.time.Duration;
import java.util.Objects;

/** Argument checks with the project's message format. Not API. */
public final class Checks {
  private Checks() {}

  public static Duration positive(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.isZero() || value.isNegative()) {
      throw new IllegalArgumentException(setting + " must be positive, but was " + value);
    }
    return value;
  }

  public static Duration notNegative(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.isNegative()) {
      throw new IllegalArgumentException(setting + " must not be negative, but was " + value);
    }
    return value;
  }

  public static int atLeast(String setting, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(
          setting + " must be at least " + min + ", but was " + value);
    }
    return value;
  }

  public static double fraction(String setting, double value, double min, double maxExclusive) {
    if (!(value >= min && value < maxExclusive)) {
      throw new IllegalArgumentException(
          setting + " must be in [" + min + ", " + maxExclusive + "), but was " + value);
    }
    return value;
  }

  public static String name(String setting, String value) {
    Objects.requireNonNull(value, setting);
    if (value.isBlank() || value.indexOf(':') >= 0) {
      throw new IllegalArgumentException(
          setting + " must be non-blank and must not contain ':', but was '" + value + "'");
    }
    return value;
  }
}
