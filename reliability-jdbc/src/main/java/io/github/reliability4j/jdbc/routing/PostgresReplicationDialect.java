package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.LsnPosition;
import io.github.reliability4j.core.routing.ReplicationPosition;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * PostgreSQL 10+ streaming replication, positions are WAL LSNs.
 *
 * <ul>
 *   <li>Token, on the primary after COMMIT: {@code SELECT pg_current_wal_insert_lsn()}. Not {@code
 *       pg_current_wal_lsn()} (the write position can be behind the session's own commit record
 *       with {@code synchronous_commit = off}), and never inside the writing transaction.
 *   <li>Replica position: {@code SELECT pg_last_wal_replay_lsn()}; a replica covers a token when
 *       its replay LSN is {@code >=} the token.
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

  @Override
  public ReplicationPosition currentPosition(Connection primary) throws SQLException {
    return lsn(primary, "SELECT pg_current_wal_insert_lsn()::text");
  }

  @Override
  public ReplicationPosition replayPosition(Connection replica) throws SQLException {
    return lsn(replica, "SELECT pg_last_wal_replay_lsn()::text");
  }

  @Override
  public ReplicationPosition parsePosition(String encoded) {
    return LsnPosition.parse(encoded);
  }

  private static ReplicationPosition lsn(Connection c, String sql) throws SQLException {
    String text = queryString(c, sql);
    return text == null ? null : LsnPosition.parse(text);
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
