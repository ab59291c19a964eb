package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.jdbc.retention.PartitionRotation;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;

/**
 * Partition maintenance of the PostgreSQL partition-per-day layout, as a user of the general {@link
 * PartitionRotation}.
 *
 * <p>Design note. A day partition {@code <table>_pYYYYMMDD} holds the rows whose claim was made on
 * that UTC day. It is dropped only when (a) its day is at least two days before today, so an
 * instance whose clock lags across midnight still finds its partition ({@code retain(2)}), and (b)
 * {@code max(expires_at)} in it is not after now (the rotation's guard). Once (b) holds no row can
 * become live again: complete and renew require a live lease and a takeover moves the key into
 * today's partition, so the check and the drop need no lock between them. The drop detaches first
 * ({@code CONCURRENTLY} on PostgreSQL 14+, which does not block claims), then drops the detached
 * table.
 */
final class DayPartitions {

  private DayPartitions() {}

  static PartitionMaintenance maintain(
      Connection c, String table, String unqualified, Clock clock, int ahead) throws SQLException {
    PartitionRotation.RotationResult r =
        PartitionRotation.custom()
            .table(table)
            .partitionPrefix(unqualified + "_p")
            .period(PartitionRotation.Period.DAY)
            .behind(1)
            .ahead(ahead)
            .retain(2)
            .onExpired(PartitionRotation.Expired.DROP)
            .guard((conn, partition) -> maxExpiresAt(conn, partition) <= clock.millis())
            .build()
            .rotate(c, clock);
    return new PartitionMaintenance(r.created(), r.removed(), r.retained());
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
