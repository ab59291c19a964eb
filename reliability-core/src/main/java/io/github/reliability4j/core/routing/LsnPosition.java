package io.github.reliability4j.core.routing;

import java.util.OptionalLong;

/**
 * A PostgreSQL log sequence number on a timeline, written {@code "16/B374D848"} (timeline unknown)
 * or {@code "2:16/B374D848"} (timeline 2). Immutable and thread-safe.
 *
 * <h2>Timelines</h2>
 *
 * A promoted standby starts a new timeline: the new primary's WAL equals the old one's only up to
 * the switch point, and whatever the old primary committed after it (writes that had not reached
 * the promoted standby) is lost on the new timeline. An LSN is therefore only comparable with an
 * LSN of the same timeline. Without the timeline history this class cannot tell whether a position
 * lies before the switch point, so it decides conservatively:
 *
 * <ul>
 *   <li>{@link #covers}: same timeline (or either timeline unknown, {@code 0}): LSN order;
 *       different known timelines: never. A replica on another timeline than a token therefore
 *       never serves that token's read-your-writes reads (they go to the primary), and a replica on
 *       another timeline than the primary covers none of the primary's samples, so the lag monitor
 *       excludes it.
 *   <li>{@link #mayCover}: false across known timelines, so the router does not wait for a replica
 *       to replay its way to a position on another timeline.
 *   <li>{@link #merge}: same timeline: the higher LSN; different known timelines: the position on
 *       the newer (higher) timeline, which then does not cover the older one. This is the one
 *       exception to {@link ReplicationPosition}'s merge law, and it is the safe direction: a
 *       session that wrote before and after a failover needs the newer timeline's position.
 *   <li>{@link #bytesAfter}: empty across known timelines.
 * </ul>
 *
 * Positions of unknown timeline ({@link #of(long)}, text without a timeline, as in tokens from
 * versions that did not record it) compare by LSN alone, as before.
 */
public final class LsnPosition implements ReplicationPosition, Comparable<LsnPosition> {

  private final int timeline;
  private final long value;

  private LsnPosition(int timeline, long value) {
    this.timeline = timeline;
    this.value = value;
  }

  /** An LSN of unknown timeline. */
  public static LsnPosition of(long value) {
    return new LsnPosition(0, value);
  }

  /**
   * An LSN on {@code timeline} ({@code 0} = unknown).
   *
   * @throws IllegalArgumentException if {@code timeline} is negative
   */
  public static LsnPosition of(int timeline, long value) {
    if (timeline < 0) {
      throw new IllegalArgumentException("timeline must not be negative, but was " + timeline);
    }
    return new LsnPosition(timeline, value);
  }

  /**
   * Parses PostgreSQL's text form {@code "XXXXXXXX/XXXXXXXX"}, optionally preceded by a decimal
   * timeline and a colon ({@code "2:0/3000148"}).
   *
   * @throws IllegalArgumentException if {@code text} is not a valid LSN
   */
  public static LsnPosition parse(String text) {
    int colon = text == null ? -1 : text.indexOf(':');
    int timeline = 0;
    String lsn = text;
    if (colon >= 0) {
      String t = text.substring(0, colon);
      if (t.isEmpty() || t.length() > 10 || !t.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
        throw new IllegalArgumentException("not a PostgreSQL timeline:LSN: " + text);
      }
      long tl = Long.parseLong(t);
      if (tl > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("PostgreSQL timeline out of range: " + text);
      }
      timeline = (int) tl;
      lsn = text.substring(colon + 1);
    }
    int slash = lsn == null ? -1 : lsn.indexOf('/');
    if (slash <= 0 || slash == lsn.length() - 1 || slash > 8 || lsn.length() - slash - 1 > 8) {
      throw new IllegalArgumentException("not a PostgreSQL LSN: " + text);
    }
    try {
      long hi = Long.parseLong(lsn.substring(0, slash), 16);
      long lo = Long.parseLong(lsn.substring(slash + 1), 16);
      return new LsnPosition(timeline, (hi << 32) | lo);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a PostgreSQL LSN: " + text, e);
    }
  }

  public long value() {
    return value;
  }

  /** The timeline, or {@code 0} if unknown. */
  public int timeline() {
    return timeline;
  }

  private boolean sameOrUnknownTimeline(LsnPosition o) {
    return timeline == o.timeline || timeline == 0 || o.timeline == 0;
  }

  @Override
  public boolean covers(ReplicationPosition other) {
    LsnPosition o = asLsn(other);
    return sameOrUnknownTimeline(o) && Long.compareUnsigned(value, o.value) >= 0;
  }

  @Override
  public boolean mayCover(ReplicationPosition other) {
    return sameOrUnknownTimeline(asLsn(other));
  }

  @Override
  public ReplicationPosition merge(ReplicationPosition other) {
    LsnPosition o = asLsn(other);
    if (sameOrUnknownTimeline(o)) {
      long v = Long.compareUnsigned(value, o.value) >= 0 ? value : o.value;
      int t = Math.max(timeline, o.timeline);
      if (v == value && t == timeline) {
        return this;
      }
      return v == o.value && t == o.timeline ? o : new LsnPosition(t, v);
    }
    return timeline > o.timeline ? this : o;
  }

  @Override
  public OptionalLong bytesAfter(ReplicationPosition older) {
    LsnPosition o = asLsn(older);
    if (!sameOrUnknownTimeline(o)) {
      return OptionalLong.empty();
    }
    long diff = value - o.value;
    return OptionalLong.of(Math.max(0, diff));
  }

  @Override
  public String encode() {
    String lsn =
        Long.toHexString(value >>> 32).toUpperCase()
            + "/"
            + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase();
    return timeline == 0 ? lsn : timeline + ":" + lsn;
  }

  /** LSN order; the timeline breaks ties (a total order for sorting, not {@link #covers}). */
  @Override
  public int compareTo(LsnPosition o) {
    int c = Long.compareUnsigned(value, o.value);
    return c != 0 ? c : Integer.compare(timeline, o.timeline);
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
    return o instanceof LsnPosition other && other.value == value && other.timeline == timeline;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(value) * 31 + timeline;
  }

  @Override
  public String toString() {
    return encode();
  }
}
