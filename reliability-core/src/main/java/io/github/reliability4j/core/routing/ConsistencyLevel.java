package io.github.reliability4j.core.routing;

import java.time.Duration;
import java.util.Objects;

/**
 * How fresh the data returned by a read must be.
 *
 * <ul>
 *   <li>{@link #STRONG}: the read is served by the primary.
 *   <li>{@link #READ_YOUR_WRITES} (the default for reads): the read observes every write whose
 *       causal token was merged into the current {@link ConsistencySession}; a replica is used only
 *       when its replay position covers the session's token.
 *   <li>{@link #boundedStaleness(Duration)}: a replica whose data is at most the given age (as
 *       measured by the lag monitor, with the sample interval as resolution) may serve the read. It
 *       does <em>not</em> additionally wait for the session's token.
 *   <li>{@link #ANY}: any admitted replica may serve the read.
 * </ul>
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ConsistencyLevel {

  /** Kinds of consistency level. */
  public enum Kind {
    STRONG,
    READ_YOUR_WRITES,
    BOUNDED_STALENESS,
    ANY
  }

  public static final ConsistencyLevel STRONG = new ConsistencyLevel(Kind.STRONG, null);
  public static final ConsistencyLevel READ_YOUR_WRITES =
      new ConsistencyLevel(Kind.READ_YOUR_WRITES, null);
  public static final ConsistencyLevel ANY = new ConsistencyLevel(Kind.ANY, null);

  private final Kind kind;
  private final Duration maxStaleness;

  private ConsistencyLevel(Kind kind, Duration maxStaleness) {
    this.kind = kind;
    this.maxStaleness = maxStaleness;
  }

  /**
   * Reads may be served by a replica whose data is at most {@code maxStaleness} old.
   *
   * @throws IllegalArgumentException if {@code maxStaleness} is negative, or is not a whole number
   *     of milliseconds
   */
  public static ConsistencyLevel boundedStaleness(Duration maxStaleness) {
    Objects.requireNonNull(maxStaleness, "maxStaleness");
    if (maxStaleness.isNegative()) {
      throw new IllegalArgumentException(
          "maxStaleness must not be negative, but was " + maxStaleness);
    }
    if (maxStaleness.getNano() % 1_000_000 != 0) {
      throw new IllegalArgumentException(
          "maxStaleness has millisecond granularity, but was " + maxStaleness);
    }
    return new ConsistencyLevel(Kind.BOUNDED_STALENESS, maxStaleness);
  }

  public Kind kind() {
    return kind;
  }

  /** The staleness bound; {@code null} unless {@link #kind()} is {@code BOUNDED_STALENESS}. */
  public Duration maxStaleness() {
    return maxStaleness;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConsistencyLevel other
        && kind == other.kind
        && Objects.equals(maxStaleness, other.maxStaleness);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, maxStaleness);
  }

  @Override
  public String toString() {
    return kind == Kind.BOUNDED_STALENESS
        ? "BOUNDED_STALENESS(" + maxStaleness.toMillis() + "ms)"
        : kind.name();
  }
}
