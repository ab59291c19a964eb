package io.github.reliability4j.core.routing;

import java.util.OptionalLong;

/**
 * A PostgreSQL log sequence number, written {@code "16/B374D848"}. Totally ordered; {@link
 * #bytesAfter} is the WAL distance. Immutable and thread-safe.
 */
public final class LsnPosition implements ReplicationPosition, Comparable<LsnPosition> {

  private final long value;

  private LsnPosition(long value) {
    this.value = value;
  }

  public static LsnPosition of(long value) {
    return new LsnPosition(value);
  }

  /**
   * Parses PostgreSQL's text form {@code "XXXXXXXX/XXXXXXXX"}.
   *
   * @throws IllegalArgumentException if {@code text} is not a valid LSN
   */
  public static LsnPosition parse(String text) {
    int slash = text == null ? -1 : text.indexOf('/');
    if (slash <= 0 || slash == text.length() - 1 || slash > 8 || text.length() - slash - 1 > 8) {
      throw new IllegalArgumentException("not a PostgreSQL LSN: " + text);
    }
    try {
      long hi = Long.parseLong(text.substring(0, slash), 16);
      long lo = Long.parseLong(text.substring(slash + 1), 16);
      return new LsnPosition((hi << 32) | lo);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a PostgreSQL LSN: " + text, e);
    }
  }

  public long value() {
    return value;
  }

  @Override
  public boolean covers(ReplicationPosition other) {
    return Long.compareUnsigned(value, asLsn(other).value) >= 0;
  }

  @Override
  public ReplicationPosition merge(ReplicationPosition other) {
    return covers(other) ? this : other;
  }

  @Override
  public OptionalLong bytesAfter(ReplicationPosition older) {
    long diff = value - asLsn(older).value;
    return OptionalLong.of(Math.max(0, diff));
  }

  @Override
  public String encode() {
    return Long.toHexString(value >>> 32).toUpperCase()
        + "/"
        + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase();
  }

  @Override
  public int compareTo(LsnPosition o) {
    return Long.compareUnsigned(value, o.value);
  }

  private static LsnPosition asLsn(ReplicationPosition other) {
    if (other instanceof LsnPosition lsn) {
      return lsn;
    }
    throw new IllegalArgumentException(
        "cannot compare a PostgreSQL LSN with " + other.getClass().getName());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LsnPosition other && other.value == value;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(value);
  }

  @Override
  public String toString() {
    return encode();
  }
}
