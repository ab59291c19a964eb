package io.github.reliability4j.jdbc.retention;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Retention by partition rotation, for a table range-partitioned by time: creates partitions ahead
 * of time and removes whole expired partitions, which costs no row deletes, no bloat and one small
 * WAL record instead of a replica-flooding {@code DELETE}.
 *
 * <pre>{@code
 * PartitionRotation rotation = PartitionRotation.custom()
 *     .table("events").period(PartitionRotation.Period.DAY)
 *     .ahead(3).retain(30).onExpired(PartitionRotation.Expired.DROP)
 *     .build();
 * RotationResult r = rotation.rotate(connection, clock);   // e.g. daily, from a scheduler
 * }</pre>
 *
 * <h2>Layout</h2>
 *
 * One partition per period (a UTC day or month), named {@code <prefix><yyyyMMdd>} (days) or {@code
 * <prefix><yyyyMM>} (months), holding the key range [period start, next period start) written as
 * ISO dates. The prefix defaults to {@code <table>_p} on PostgreSQL and {@code p} on MariaDB/MySQL
 * (partition names are per table there).
 *
 * <ul>
 *   <li><b>PostgreSQL</b> declarative partitioning ({@code PARTITION BY RANGE (col)}): a new
 *       partition is {@code CREATE TABLE IF NOT EXISTS <name> PARTITION OF <table> FOR VALUES FROM
 *       (start) TO (end)}; an expired one is {@code ALTER TABLE ... DETACH PARTITION} ({@code
 *       CONCURRENTLY} on 14+, which does not block writers) and then dropped, or kept as a plain
 *       table ({@link Expired#DETACH_AND_KEEP}: the archive).
 *   <li><b>MariaDB/MySQL</b> {@code PARTITION BY RANGE COLUMNS(col)} ending with a catch-all
 *       partition {@code <prefix>max VALUES LESS THAN (MAXVALUE)}: new partitions are split off the
 *       catch-all with {@code REORGANIZE PARTITION}; an expired one is {@code DROP PARTITION}, or
 *       {@code CONVERT PARTITION ... TO TABLE <name>} (MariaDB 10.7+) to keep it.
 * </ul>
 *
 * A partition whose period starts at least {@code retain} periods before the current one is
 * expired; before removing it the optional {@link Guard} is asked, and a partition it vetoes is
 * reported as retained and tried again next time. Partitions not named by this layout are never
 * touched.
 *
 * <p>Not guaranteed: rows written to a partition after the guard looked at it and before it is
 * removed are removed with it (write only to current partitions, or make the guard's check hold
 * until removal, as the idempotency store's layout does). Thread-safe; concurrent rotations of one
 * table are safe on PostgreSQL ({@code IF NOT EXISTS}) but should be serialized on MariaDB, e.g. by
 * running them from the retention lease's single runner.
 */
public final class PartitionRotation {

  /** The length of one partition. */
  public enum Period {
    DAY(ChronoUnit.DAYS, "yyyyMMdd", "\\d{8}"),
    MONTH(ChronoUnit.MONTHS, "yyyyMM", "\\d{6}");

    final ChronoUnit unit;
    final DateTimeFormatter format;
    final String digits;

    Period(ChronoUnit unit, String pattern, String digits) {
      this.unit = unit;
      this.format = DateTimeFormatter.ofPattern(pattern);
      this.digits = digits;
    }

    LocalDate start(LocalDate day) {
      return this == DAY ? day : day.withDayOfMonth(1);
    }

    LocalDate parse(String s) {
      return this == DAY
          ? LocalDate.parse(s, format)
          : LocalDate.parse(s + "01", DateTimeFormatter.ofPattern("yyyyMMdd"));
    }
  }

  /** What happens to an expired partition. */
  public enum Expired {
    /** Detach (PostgreSQL) and drop it. */
    DROP,
    /** Detach it and keep it as a plain table of the same name: the archive. */
    DETACH_AND_KEEP
  }

  /** Veto on removing one expired partition, e.g. while a row in it is still live. */
  @FunctionalInterface
  public interface Guard {
    /**
     * @param c the rotation's connection
     * @param partition the partition's schema-qualified (PostgreSQL) or plain name
     * @return true to remove it now, false to keep it until a later rotation
     */
    boolean mayRemove(Connection c, String partition) throws SQLException;
  }

  /**
   * What one rotation did.
   *
   * @param created partitions created
   * @param removed expired partitions dropped or detached
   * @param retained expired partitions the guard kept
   */
  public record RotationResult(List<String> created, List<String> removed, List<String> retained) {
    public RotationResult {
      created = List.copyOf(created);
      removed = List.copyOf(removed);
      retained = List.copyOf(retained);
    }
  }

  private static final Pattern QUALIFIED =
      Pattern.compile("([A-Za-z_][A-Za-z0-9_]*\\.)?[A-Za-z_][A-Za-z0-9_]*");

  private final String table;
  private final String prefix;
  private final Period period;
  private final int behind;
  private final int ahead;
  private final int retain;
  private final Expired expired;
  private final Guard guard;

  private PartitionRotation(Builder b) {
    this.table = b.table;
    this.prefix = b.prefix;
    this.period = b.period;
    this.behind = b.behind;
    this.ahead = b.ahead;
    this.retain = b.retain;
    this.expired = b.expired;
    this.guard = b.guard;
  }

  public static Builder custom() {
    return new Builder();
  }

  /**
   * Creates missing partitions from {@code behind} periods before the current one to {@code ahead}
   * periods after it, then removes expired partitions. Runs in the connection's current
   * (autocommit) mode; {@code DETACH CONCURRENTLY} needs autocommit.
   */
  public RotationResult rotate(Connection c, Clock clock) throws SQLException {
    String product = Schema.product(c);
    boolean postgres = product.equals("PostgreSQL");
    if (!postgres && !product.equals("MariaDB") && !product.equals("MySQL")) {
      throw new SQLException(
          "Partition rotation supports PostgreSQL and MariaDB/MySQL, not " + product, "0A000");
    }
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    LocalDate current = period.start(today);
    String unqualified = table.contains(".") ? table.substring(table.indexOf('.') + 1) : table;
    String schemaPrefix = table.contains(".") ? table.substring(0, table.indexOf('.') + 1) : "";
    String namePrefix = prefix != null ? prefix : postgres ? unqualified + "_p" : "p";
    return postgres
        ? rotatePostgres(c, current, schemaPrefix, namePrefix)
        : rotateMariaDb(c, current, namePrefix);
  }

  private RotationResult rotatePostgres(
      Connection c, LocalDate current, String schemaPrefix, String namePrefix) throws SQLException {
    List<String> created = new ArrayList<>();
    for (LocalDate p = current.minus(behind, period.unit);
        !p.isAfter(current.plus(ahead, period.unit));
        p = p.plus(1, period.unit)) {
      String name = namePrefix + p.format(period.format);
      if (!pgExists(c, schemaPrefix + name)) {
        try (Statement st = c.createStatement()) {
          st.execute(
              "CREATE TABLE IF NOT EXISTS "
                  + schemaPrefix
                  + name
                  + " PARTITION OF "
                  + table
                  + " FOR VALUES FROM ('"
                  + p
                  + "') TO ('"
                  + p.plus(1, period.unit)
                  + "')");
        }
        created.add(name);
      }
    }
    Pattern own = Pattern.compile(Pattern.quote(namePrefix) + "(" + period.digits + ")");
    List<String> removed = new ArrayList<>();
    List<String> retained = new ArrayList<>();
    boolean concurrently = c.getMetaData().getDatabaseMajorVersion() >= 14;
    for (String partition : pgPartitions(c)) {
      Matcher m = own.matcher(partition);
      if (!m.matches() || !isExpired(period.parse(m.group(1)), current)) {
        continue;
      }
      if (guard != null && !guard.mayRemove(c, schemaPrefix + partition)) {
        retained.add(partition);
        continue;
      }
      try (Statement st = c.createStatement()) {
        st.execute(
            "ALTER TABLE "
                + table
                + " DETACH PARTITION "
                + schemaPrefix
                + partition
                + (concurrently ? " CONCURRENTLY" : ""));
        if (expired == Expired.DROP) {
          st.execute("DROP TABLE " + schemaPrefix + partition);
        }
      }
      removed.add(partition);
    }
    return new RotationResult(created, removed, retained);
  }

  private RotationResult rotateMariaDb(Connection c, LocalDate current, String namePrefix)
      throws SQLException {
    String catchAll = namePrefix + "max";
    List<String[]> parts = mariaPartitions(c);
    boolean hasCatchAll = parts.stream().anyMatch(p -> p[0].equalsIgnoreCase(catchAll));
    if (!hasCatchAll) {
      throw new SQLException(
          "Table "
              + table
              + " has no catch-all partition "
              + catchAll
              + " VALUES LESS THAN (MAXVALUE): add it, e.g. ALTER TABLE "
              + table
              + " ADD PARTITION (PARTITION "
              + catchAll
              + " VALUES LESS THAN (MAXVALUE))",
          "42000");
    }
    Pattern own = Pattern.compile(Pattern.quote(namePrefix) + "(" + period.digits + ")");
    LocalDate newest = null;
    for (String[] p : parts) {
      Matcher m = own.matcher(p[0]);
      if (m.matches()) {
        LocalDate d = period.parse(m.group(1));
        newest = newest == null || d.isAfter(newest) ? d : newest;
      }
    }
    // Only periods after the newest one can be split off the catch-all (ranges must ascend).
    List<String> created = new ArrayList<>();
    StringBuilder split = new StringBuilder();
    for (LocalDate p = current.minus(behind, period.unit);
        !p.isAfter(current.plus(ahead, period.unit));
        p = p.plus(1, period.unit)) {
      if (newest != null && !p.isAfter(newest)) {
        continue;
      }
      String name = namePrefix + p.format(period.format);
      split
          .append("PARTITION ")
          .append(name)
          .append(" VALUES LESS THAN ('")
          .append(p.plus(1, period.unit))
          .append("'), ");
      created.add(name);
    }
    if (!created.isEmpty()) {
      try (Statement st = c.createStatement()) {
        st.execute(
            "ALTER TABLE "
                + table
                + " REORGANIZE PARTITION "
                + catchAll
                + " INTO ("
                + split
                + "PARTITION "
                + catchAll
                + " VALUES LESS THAN (MAXVALUE))");
      }
    }
    List<String> removed = new ArrayList<>();
    List<String> retained = new ArrayList<>();
    for (String[] p : parts) {
      Matcher m = own.matcher(p[0]);
      if (!m.matches() || !isExpired(period.parse(m.group(1)), current)) {
        continue;
      }
      if (guard != null && !guard.mayRemove(c, p[0])) {
        retained.add(p[0]);
        continue;
      }
      try (Statement st = c.createStatement()) {
        if (expired == Expired.DROP) {
          st.execute("ALTER TABLE " + table + " DROP PARTITION " + p[0]);
        } else {
          st.execute(
              "ALTER TABLE "
                  + table
                  + " CONVERT PARTITION "
                  + p[0]
                  + " TO TABLE "
                  + table
                  + "_"
                  + p[0]);
        }
      }
      removed.add(p[0]);
    }
    return new RotationResult(created, removed, retained);
  }

  private boolean isExpired(LocalDate start, LocalDate current) {
    return !start.isAfter(current.minus(retain, period.unit));
  }

  private static boolean pgExists(Connection c, String qualifiedName) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, qualifiedName);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private List<String> pgPartitions(Connection c) throws SQLException {
    List<String> names = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT child.relname FROM pg_inherits i JOIN pg_class child ON child.oid = i.inhrelid"
                + " WHERE i.inhparent = to_regclass(?) ORDER BY child.relname")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
    }
    return names;
  }

  /** {name, description} in partition order. */
  private List<String[]> mariaPartitions(Connection c) throws SQLException {
    String schema = table.contains(".") ? table.substring(0, table.indexOf('.')) : null;
    String name = table.contains(".") ? table.substring(table.indexOf('.') + 1) : table;
    List<String[]> parts = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM information_schema.PARTITIONS"
                + " WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?"
                + " AND PARTITION_NAME IS NOT NULL ORDER BY PARTITION_ORDINAL_POSITION")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          parts.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
    }
    if (parts.isEmpty()) {
      throw new SQLException(
          "Table "
              + table
              + " is not range-partitioned: create it with PARTITION BY RANGE COLUMNS(<time"
              + " column>) and a catch-all partition",
          "42000");
    }
    return parts;
  }

  /** Builder; not thread-safe. */
  public static final class Builder {
    private String table;
    private String prefix;
    private Period period = Period.DAY;
    private int behind = 1;
    private int ahead = 3;
    private int retain = 30;
    private Expired expired = Expired.DROP;
    private Guard guard;

    private Builder() {}

    /**
     * The partitioned table (required), optionally schema-qualified.
     *
     * @throws IllegalArgumentException if it is not a plain or schema-qualified identifier
     */
    public Builder table(String table) {
      Objects.requireNonNull(table, "table");
      if (!QUALIFIED.matcher(table).matches()) {
        throw new IllegalArgumentException(
            "table must be a plain or schema-qualified identifier, but was '" + table + "'");
      }
      this.table = table;
      return this;
    }

    /**
     * Partition name prefix (default {@code <table>_p} on PostgreSQL, {@code p} on MariaDB).
     *
     * @throws IllegalArgumentException if it is not an identifier
     */
    public Builder partitionPrefix(String prefix) {
      Objects.requireNonNull(prefix, "prefix");
      if (!prefix.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw new IllegalArgumentException(
            "partitionPrefix must match [A-Za-z_][A-Za-z0-9_]*, but was '" + prefix + "'");
      }
      this.prefix = prefix;
      return this;
    }

    public Builder period(Period period) {
      this.period = Objects.requireNonNull(period, "period");
      return this;
    }

    /**
     * Past periods whose partitions are still created if missing (default 1, so an instance whose
     * clock lags across midnight still finds its partition).
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder behind(int periods) {
      this.behind = notNegative("behind", periods);
      return this;
    }

    /**
     * Future periods created ahead (default 3).
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder ahead(int periods) {
      this.ahead = notNegative("ahead", periods);
      return this;
    }

    /**
     * A partition starting at least this many periods before the current one is expired (default
     * 30).
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder retain(int periods) {
      if (periods < 1) {
        throw new IllegalArgumentException("retain must be at least 1, but was " + periods);
      }
      this.retain = periods;
      return this;
    }

    public Builder onExpired(Expired expired) {
      this.expired = Objects.requireNonNull(expired, "expired");
      return this;
    }

    /** A veto asked before each removal. */
    public Builder guard(Guard guard) {
      this.guard = Objects.requireNonNull(guard, "guard");
      return this;
    }

    /**
     * @throws IllegalStateException if no table is set, or {@code behind} reaches expired
     *     partitions ({@code behind >= retain}: they would be created and removed in one run)
     */
    public PartitionRotation build() {
      if (table == null) {
        throw new IllegalStateException("table must be set");
      }
      if (behind >= retain) {
        throw new IllegalStateException(
            "behind (" + behind + ") must be less than retain (" + retain + ")");
      }
      return new PartitionRotation(this);
    }

    private static int notNegative(String setting, int v) {
      if (v < 0) {
        throw new IllegalArgumentException(setting + " must not be negative, but was " + v);
      }
      return v;
    }
  }
}
