package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.LsnPosition;
import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.ReplicationProbe;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
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
 *   <li>Lag-monitor sample ({@link #replaySample}): the same, plus the WAL receiver's receive
 *       status in the same query, used while the primary is unreachable from the router.
 *   <li>Server instance (positions are kept per server, see {@link
 *       ReplicationDialect#serverInstance}): address, port and {@code pg_postmaster_start_time()}.
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

  /**
   * {@code host(inet_server_addr()):port@pg_postmaster_start_time()} (address {@code local} over a
   * Unix socket): the address and port tell standbys behind one load-balanced address apart, the
   * start time a server restarted or replaced on the same address (a restarted postmaster may have
   * replayed less than before). One query, cheap: no catalog access.
   */
  @Override
  public Optional<String> serverInstance(Connection c) throws SQLException {
    return Optional.ofNullable(queryString(c, SERVER_INSTANCE));
  }

  private static final String SERVER_INSTANCE =
      "SELECT coalesce(host(inet_server_addr()), 'local') || ':' || current_setting('port')"
          + " || '@' || pg_postmaster_start_time()::text";

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

  /**
   * The replay position as {@link #replayPosition(Connection)} and, in the same query, the WAL
   * receiver's status: the receive age is {@code clock_timestamp() − last_msg_receipt_time}
   * (measured on the replica) when {@code pg_stat_wal_receiver.status = 'streaming'} and {@code
   * pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn()} (everything received is replayed), else
   * null.
   */
  @Override
  public ReplicationProbe.ReplaySample replaySample(Connection replica, String clusterId)
      throws SQLException {
    try (Statement s = replica.createStatement();
        ResultSet rs = s.executeQuery(REPLAY_SAMPLE)) {
      if (!rs.next() || rs.getString(1) == null) {
        return new ReplicationProbe.ReplaySample(null, null);
      }
      long lsn = LsnPosition.parse(rs.getString(1)).value();
      long timeline = rs.getLong(2);
      ReplicationPosition position = LsnPosition.of(rs.wasNull() ? 0 : (int) timeline, lsn);
      long ageMicros = rs.getLong(3);
      Duration age = rs.wasNull() ? null : Duration.ofNanos(Math.max(0, ageMicros) * 1000);
      return new ReplicationProbe.ReplaySample(null, position, age);
    }
  }

  private static final String REPLAY_SAMPLE =
      "SELECT pg_last_wal_replay_lsn()::text, coalesce((SELECT received_tli FROM"
          + " pg_stat_wal_receiver), (SELECT timeline_id FROM pg_control_checkpoint())),"
          + " (SELECT (extract(epoch FROM clock_timestamp() - last_msg_receipt_time)"
          + " * 1000000)::bigint FROM pg_stat_wal_receiver WHERE status = 'streaming'"
          + " AND last_msg_receipt_time IS NOT NULL"
          + " AND pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn())";

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
