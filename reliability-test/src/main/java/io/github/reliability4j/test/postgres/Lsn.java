package io.github.reliability4j.test.postgres;

/** PostgreSQL WAL positions ({@code pg_lsn}, written {@code X/Y} in hex) as unsigned longs. */
final class Lsn {

  private Lsn() {}

  static long parse(String text) {
    if (text == null) {
      return 0L;
    }
    int slash = text.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("not a pg_lsn: '" + text + "'");
    }
    long high = Long.parseLong(text.substring(0, slash), 16);
    long low = Long.parseLong(text.substring(slash + 1), 16);
    return (high << 32) | low;
  }

  static String format(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase()
        + "/"
        + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
  }

  static int compare(long a, long b) {
    return Long.compareUnsigned(a, b);
  }
}
