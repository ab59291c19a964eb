package io.github.reliability4j.core.routing;

import java.time.Instant;

/**
 * A wall-clock position used by the time-window mode for databases without a usable replication
 * position: a write's token is its commit time, and a replica is assumed to have applied everything
 * committed more than the configured window ago. This is a guess, not a guarantee. Immutable and
 * thread-safe.
 */
public final class TimePosition implements ReplicationPosition {

  private final long epochMillis;

  private TimePosition(long epochMillis) {
    this.epochMillis = epochMillis;
  }

  public static TimePosition of(Instant instant) {
    return new TimePosition(instant.toEpochMilli());
  }

  /**
   * Parses the form produced by {@link #encode()}.
   *
   * @throws IllegalArgumentException if {@code text} is not a decimal epoch-millisecond value
   */
  public static TimePosition parse(String text) {
    try {
      return new TimePosition(Long.parseLong(text));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a time position: " + text, e);
    }
  }

  public Instant instant() {
    return Instant.ofEpochMilli(epochMillis);
  }

  @Override
  public boolean covers(ReplicationPosition other) {
    if (!(other instanceof TimePosition t)) {
      throw new IllegalArgumentException(
          "cannot compare a time position with " + other.getClass().getName());
    }
    return epochMillis >= t.epochMillis;
  }

  @Override
  public ReplicationPosition merge(ReplicationPosition other) {
    return covers(other) ? this : other;
  }

  @Override
  public String encode() {
    return Long.toString(epochMillis);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TimePosition other && other.epochMillis == epochMillis;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(epochMillis);
  }

  @Override
  public String toString() {
    return "TimePosition[" + instant() + "]";
  }
}
