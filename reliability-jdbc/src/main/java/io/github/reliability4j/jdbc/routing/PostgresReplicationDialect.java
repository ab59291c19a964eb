package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.LsnPosition;
import io.github.reliability4j.core.routing.ReplicationPosition;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * PostgreSQL 10+ streaming replication, positions are WAL LSNs on a timeline ({@link LsnPosition}).
 *
 * <ul>
 *   <li>Token, on the primary after COMMIT: {@code SELECT l::text, pg_walfile_name(l) FROM
 *       pg_current_wal_insert_lsn() AS l} in one round trip; the WAL file name's first eight hex
 *       digits are the primary's current timeline. Not {@code pg_current_wal_lsn()} (the write
 *       position can be behind the session's own commit record with {@code synchronous_commit =
 *       off}), and never inside the writing transaction.
 *   <li>Replica position: {@code SELECT pg_last_wal_replay_lsn()::text, coalesce((SELECT
 *       received_tli FROM pg_stat_wal_receiver), (SELECT timeline_id FROM
 *       pg_control_checkpoint()))}: the replay LSN with the timeline the standby receives, or,
 *       while its WAL receiver is not running, the timeline of its last restartpoint, which is
 *       never newer than the one it replays; a replica covers a token when both are on the same
 *       timeline and its replay LSN is {@code >=} the token's. After a promotion, a replica still
 *       on the old timeline therefore covers neither new tokens nor the new primary's samples (the
 *       lag monitor excludes it), and a token from the old timeline is served by the primary.
 *   <li>Role: {@code pg_is_in_recovery()}; cluster identity: {@code system_identifier} of {@code
 *       pg_control_system()} (shared by a primary and its physical standbys).
 * </ul>
 *
 * Thread-safe and stateless.
 */
public final class PostgresReplicationDialect implements ReplicationDialect {

  public static final PostgresReplicationDialect INSTANCE = new PostgresReplicationDialect();

  private PostgresReplicationDialect() {}

  @Override
  public String name() {
    return "postgresql";
  }

  @Override
  public String clusterId(Connection c) throws SQLException {
    return queryString(c, "SELECT system_identifier::text FROM pg_control_system()");
  }

  @Override
  public Optional<String> nodeIdentity(Connection c) throws SQLException {
    String id =
        queryString(
            c,
            "SELECT coalesce(host(inet_server_addr()), 'local') || ':' || coalesce(inet_server_port(), 0)");
    return id == null || id.startsWith("local:") ? Optional.empty() : Optional.of(id);
  }

  @Override
  public Optional<Boolean> isInRecovery(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
      rs.next();
      return Optional.of(rs.getBoolean(1));
    }
  }

  @Override
  public String roleCheckDescription() {
    return "pg_is_in_recovery()";
  }

  private static final String CURRENT =
      "SELECT l::text, pg_walfile_name(l) FROM pg_current_wal_insert_lsn() AS l";

  private static final String REPLAY =
      "SELECT pg_last_wal_replay_lsn()::text, coalesce((SELECT received_tli FROM"
          + " pg_stat_wal_receiver), (SELECT timeline_id FROM pg_control_checkpoint()))";

  @Override
  public ReplicationPosition currentPosition(Connection primary) throws SQLException {
    try (Statement s = primary.createStatement();
        ResultSet rs = s.executeQuery(CURRENT)) {
      if (!rs.next() || rs.getString(1) == null) {
        return null;
      }
      String walFile = rs.getString(2);
      return LsnPosition.of(timelineOfWalFile(walFile), LsnPosition.parse(rs.getString(1)).value());
    }
  }

  @Override
  public ReplicationPosition replayPosition(Connection replica) throws SQLException {
    try (Statement s = replica.createStatement();
        ResultSet rs = s.executeQuery(REPLAY)) {
      if (!rs.next() || rs.getString(1) == null) {
        return null;
      }
      long lsn = LsnPosition.parse(rs.getString(1)).value();
      long timeline = rs.getLong(2);
      return LsnPosition.of(rs.wasNull() ? 0 : (int) timeline, lsn);
    }
  }

  /** The timeline in a WAL file name {@code TTTTTTTTXXXXXXXXYYYYYYYY}; 0 if it is not one. */
  static int timelineOfWalFile(String walFile) {
    if (walFile == null || walFile.length() != 24) {
      return 0;
    }
    try {
      return (int) Long.parseLong(walFile.substring(0, 8), 16);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  @Override
  public ReplicationPosition parsePosition(String encoded) {
    return LsnPosition.parse(encoded);
  }

  /** The first column of the first row, or null; shared by the dialects of this package. */
  static String queryString(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  @Override
  public String toString() {
    return "PostgresReplicationDialect";
  }
}
