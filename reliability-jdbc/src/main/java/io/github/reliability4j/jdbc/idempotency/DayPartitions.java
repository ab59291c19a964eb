package io.github.reliability4j.jdbc.idempotency;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Partition maintenance of the PostgreSQL partition-per-day layout.
 *
 * <p>Design note. A day partition {@code <table>_pYYYYMMDD} holds the rows whose claim was made on
 * that UTC day. It is dropped only when (a) its day is at least two days before today, so an
 * instance whose clock lags across midnight still finds its partition, and (b) {@code
 * max(expires_at)} in it is not after now. Once (b) holds no row can become live again: complete
 * and renew require a live lease and a takeover moves the key into today's partition, so the check
 * and the drop need no lock between them. The drop detaches first ({@code CONCURRENTLY} on
 * PostgreSQL 14+, which does not block claims), then drops the detached table.
 */
final class DayPartitions {

  private static final DateTimeFormatter SUFFIX = DateTimeFormatter.ofPattern("yyyyMMdd");

  private DayPartitions() {}

  static PartitionMaintenance maintain(
      Connection c, String table, String unqualified, Clock clock, int ahead) throws SQLException {
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    String schemaPrefix = table.contains(".") ? table.substring(0, table.indexOf('.') + 1) : "";
    List<String> created = new ArrayList<>();
    for (LocalDate day = today.minusDays(1);
        !day.isAfter(today.plusDays(ahead));
        day = day.plusDays(1)) {
      String name = unqualified + "_p" + day.format(SUFFIX);
      if (!exists(c, schemaPrefix + name)) {
        try (Statement st = c.createStatement()) {
          st.execute(
              "CREATE TABLE IF NOT EXISTS "
                  + schemaPrefix
                  + name
                  + " PARTITION OF "
                  + table
                  + " FOR VALUES FROM ('"
                  + day
                  + "') TO ('"
                  + day.plusDays(1)
                  + "')");
        }
        created.add(name);
      }
    }

    Pattern own = Pattern.compile(Pattern.quote(unqualified) + "_p(\\d{8})");
    List<String> dropped = new ArrayList<>();
    List<String> retained = new ArrayList<>();
    boolean concurrently = c.getMetaData().getDatabaseMajorVersion() >= 14;
    for (String partition : partitions(c, table)) {
      Matcher m = own.matcher(partition);
      if (!m.matches()) {
        continue;
      }
      LocalDate day = LocalDate.parse(m.group(1), SUFFIX);
      if (day.isAfter(today.minusDays(2))) {
        continue;
      }
      if (maxExpiresAt(c, schemaPrefix + partition) > clock.millis()) {
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
        st.execute("DROP TABLE " + schemaPrefix + partition);
      }
      dropped.add(partition);
    }
    return new PartitionMaintenance(created, dropped, retained);
  }

  private static boolean exists(Connection c, String qualifiedName) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, qualifiedName);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private static List<String> partitions(Connection c, String table) throws SQLException {
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

  private static long maxExpiresAt(Connection c, String partition) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT max(expires_at) FROM " + partition)) {
      rs.next();
      long max = rs.getLong(1);
      return rs.wasNull() ? Long.MIN_VALUE : max;
    }
  }
}
