package io.github.reliability4j.core.health;

/**
 * The closed set of health statuses, in their total aggregation order.
 *
 * <p>Severity increases in declaration order: {@link #PASS} &lt; {@link #WARN} &lt; {@link
 * #UNKNOWN} &lt; {@link #FAIL}. Aggregation always takes the most severe contribution, so no status
 * is ever dropped: an aggregate of {@code PASS} and {@code UNKNOWN} is {@code UNKNOWN}, never
 * {@code PASS}. {@code UNKNOWN} ranks above {@code WARN} because a result nobody can vouch for (a
 * probe that has not run yet, or whose last result is older than its maximum age) must not let an
 * instance look merely degraded; it ranks below {@code FAIL} because it is not evidence of a
 * failure.
 *
 * <p>On the wire ({@code application/health+json}) only {@code pass}, {@code warn} and {@code fail}
 * exist, so {@code UNKNOWN} is written as {@code fail} and answered with HTTP 503: an instance that
 * cannot vouch for a critical dependency should not receive traffic.
 */
public enum HealthStatus {
  /** Healthy. */
  PASS("pass", 200),
  /** Healthy but degraded: keep serving, alert a person. */
  WARN("warn", 200),
  /** Not known: not evaluated yet, or the last result is too old to trust. */
  UNKNOWN("fail", 503),
  /** Unhealthy. */
  FAIL("fail", 503);

  private final String wireName;
  private final int httpStatus;

  HealthStatus(String wireName, int httpStatus) {
    this.wireName = wireName;
    this.httpStatus = httpStatus;
  }

  /** Returns the health+json status value: {@code pass}, {@code warn} or {@code fail}. */
  public String wireName() {
    return wireName;
  }

  /** Returns the HTTP status code for a response whose aggregate is this status: 200 or 503. */
  public int httpStatus() {
    return httpStatus;
  }

  /** Returns true for {@link #PASS} and {@link #WARN}: the component can serve. */
  public boolean isAvailable() {
    return this == PASS || this == WARN;
  }

  /** Returns the more severe of this status and {@code other}. */
  public HealthStatus worst(HealthStatus other) {
    return other.ordinal() > ordinal() ? other : this;
  }

  /** Returns true if this status is strictly more severe than {@code other}. */
  public boolean isWorseThan(HealthStatus other) {
    return ordinal() > other.ordinal();
  }
}
