package io.github.reliability4j.core.routing;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A MariaDB GTID position: for each replication domain, the last transaction's GTID {@code
 * domain-server-sequence}, written as MariaDB writes {@code @@gtid_binlog_pos} and
 * {@code @@gtid_slave_pos}, e.g. {@code "0-1-42,7-3-5"}. The empty string is the empty position
 * (nothing applied).
 *
 * <p>Order, per domain (as {@code MASTER_GTID_WAIT} compares): this position {@link #covers} {@code
 * other} when it has every domain of {@code other} with a sequence number at least as high; the
 * server id does not take part, so a replica stays comparable after the domain moved to another
 * server. A position missing one of {@code other}'s domains does not cover it. {@link #merge}
 * takes, per domain, the higher sequence number (ties broken by the higher server id, so merge is
 * commutative). Immutable and thread-safe.
 */
public final class GtidPosition implements ReplicationPosition {

  /** One domain's last GTID; sequence numbers are unsigned 64-bit. */
  public record Gtid(long domain, long server, long sequence) {
    @Override
    public String toString() {
      return Long.toUnsignedString(domain)
          + "-"
          + Long.toUnsignedString(server)
          + "-"
          + Long.toUnsignedString(sequence);
    }
  }

  private static final GtidPosition EMPTY = new GtidPosition(new TreeMap<>());
  private static final long UINT32_MAX = 0xFFFFFFFFL;

  private final SortedMap<Long, Gtid> byDomain;

  /*
   * The same GTIDs in ascending domain order (domain ids fit in 32 bits, so signed and unsigned
   * order agree), for covers(): it runs on every routed read with a token and walks two arrays
   * instead of a map's iterator and boxed look-ups, so it allocates nothing.
   */
  private final Gtid[] ordered;

  private GtidPosition(SortedMap<Long, Gtid> byDomain) {
    this.byDomain = Collections.unmodifiableSortedMap(byDomain);
    this.ordered = byDomain.values().toArray(new Gtid[0]);
  }

  public static GtidPosition empty() {
    return EMPTY;
  }

  /**
   * Parses MariaDB's text form: comma-separated {@code domain-server-sequence} triples (spaces and
   * newlines around them allowed, as MariaDB prints long positions), or the empty string.
   *
   * @throws IllegalArgumentException if {@code text} is null, malformed, out of range, or names one
   *     domain twice
   */
  public static GtidPosition parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("not a MariaDB GTID position: null");
    }
    String t = text.strip();
    if (t.isEmpty()) {
      return EMPTY;
    }
    SortedMap<Long, Gtid> map = new TreeMap<>();
    for (String part : t.split(",", -1)) {
      String[] f = part.strip().split("-", -1);
      if (f.length != 3) {
        throw new IllegalArgumentException(
            "not a MariaDB GTID position (want domain-server-sequence): " + text);
      }
      long domain = unsigned(f[0], text);
      long server = unsigned(f[1], text);
      long seq = unsigned(f[2], text);
      if (Long.compareUnsigned(domain, UINT32_MAX) > 0
          || Long.compareUnsigned(server, UINT32_MAX) > 0) {
        throw new IllegalArgumentException(
            "GTID domain and server id must fit in 32 bits: " + text);
      }
      if (map.put(domain, new Gtid(domain, server, seq)) != null) {
        throw new IllegalArgumentException(
            "GTID position names domain " + Long.toUnsignedString(domain) + " twice: " + text);
      }
    }
    return new GtidPosition(map);
  }

  private static long unsigned(String s, String text) {
    if (s.isEmpty() || !s.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
      throw new IllegalArgumentException("not a MariaDB GTID position: " + text);
    }
    try {
      return Long.parseUnsignedLong(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("GTID number out of range: " + text, e);
    }
  }

  /** The last GTID of each domain, by domain id; unmodifiable. */
  public Map<Long, Gtid> domains() {
    return byDomain;
  }

  public boolean isEmpty() {
    return byDomain.isEmpty();
  }

  @Override
  public boolean covers(ReplicationPosition other) {
    GtidPosition o = asGtid(other);
    Gtid[] mine = ordered;
    int j = 0;
    for (Gtid g : o.ordered) {
      while (j < mine.length && mine[j].domain < g.domain) {
        j++;
      }
      if (j == mine.length
          || mine[j].domain != g.domain
          || Long.compareUnsigned(mine[j].sequence, g.sequence) < 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public ReplicationPosition merge(ReplicationPosition other) {
    GtidPosition o = asGtid(other);
    if (o.byDomain.isEmpty() || o.equals(this)) {
      return this;
    }
    if (byDomain.isEmpty()) {
      return o;
    }
    SortedMap<Long, Gtid> m = new TreeMap<>(byDomain);
    for (Gtid g : o.byDomain.values()) {
      m.merge(g.domain, g, GtidPosition::later);
    }
    return m.equals(byDomain) ? this : new GtidPosition(m);
  }

  private static Gtid later(Gtid a, Gtid b) {
    int c = Long.compareUnsigned(a.sequence, b.sequence);
    if (c == 0) {
      c = Long.compareUnsigned(a.server, b.server);
    }
    return c >= 0 ? a : b;
  }

  /** MariaDB's own text form, parseable by {@link #parse} and by {@code MASTER_GTID_WAIT}. */
  @Override
  public String encode() {
    StringBuilder b = new StringBuilder();
    for (Gtid g : byDomain.values()) {
      if (b.length() > 0) {
        b.append(',');
      }
      b.append(g);
    }
    return b.toString();
  }

  private static GtidPosition asGtid(ReplicationPosition other) {
    if (other instanceof GtidPosition g) {
      return g;
    }
    throw new IllegalArgumentException(
        "cannot compare a MariaDB GTID position with " + other.getClass().getName());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GtidPosition g && g.byDomain.equals(byDomain);
  }

  @Override
  public int hashCode() {
    return byDomain.hashCode();
  }

  @Override
  public String toString() {
    return "GtidPosition[" + encode() + "]";
  }
}
