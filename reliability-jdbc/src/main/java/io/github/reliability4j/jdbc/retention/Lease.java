package io.github.reliability4j.jdbc.retention;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The lease row of a policy: one row per policy in the lease table, holding the current owner's
 * token and the lease's expiry (epoch millis by the runners' clocks).
 *
 * <p>SQL ({@code lease} is the lease table):
 *
 * <ul>
 *   <li>{@link #acquire}, in autocommit mode: {@code INSERT INTO lease (policy, owner_token,
 *       expires_at) VALUES (?, '', 0)} (a duplicate key is ignored: the row exists), then {@code
 *       UPDATE lease SET owner_token = ?, expires_at = ? WHERE policy = ? AND (expires_at <= ? OR
 *       owner_token = ?)}, which takes the lease when one row changes;
 *   <li>{@link #renew}, in the batch's transaction: {@code UPDATE lease SET expires_at = ? WHERE
 *       policy = ? AND owner_token = ?} (a PostgreSQL delete-only batch runs the same {@code
 *       UPDATE} as the first part of its one statement, see {@link RetentionRunner});
 *   <li>{@link #release}: {@code UPDATE lease SET expires_at = 0 WHERE policy = ? AND owner_token =
 *       ?}.
 * </ul>
 *
 * <p>Fencing. Taking the lease ({@link #acquire}) changes the owner only when the lease has expired
 * or is already ours. Every batch renews it first, inside the batch's own transaction, by the
 * owner-checked {@code UPDATE} above: the update locks the lease row until the batch commits, so a
 * takeover waits for the batch and then finds the renewed expiry; and a runner whose lease was
 * taken over updates no row and rolls its batch back before touching the table. So two runners
 * never both commit a batch of one policy after one of them lost the lease.
 */
final class Lease {

  private final String table;

  Lease(String table) {
    this.table = table;
  }

  String table() {
    return table;
  }

  void createTableIfMissing(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS "
              + table
              + " (policy VARCHAR(100) NOT NULL PRIMARY KEY, owner_token VARCHAR(64) NOT NULL,"
              + " expires_at BIGINT NOT NULL)");
    } catch (SQLException e) {
      // Two instances creating the table at once: PostgreSQL may report a duplicate type.
      if (!isDuplicate(e)) {
        throw e;
      }
    }
  }

  /** In autocommit mode: takes the lease if free or expired. */
  boolean acquire(Connection c, String policy, String owner, long now, long expiresAt)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO " + table + " (policy, owner_token, expires_at) VALUES (?, '', 0)")) {
      ps.setString(1, policy);
      ps.executeUpdate();
    } catch (SQLException e) {
      if (!isDuplicate(e)) {
        throw e;
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE "
                + table
                + " SET owner_token = ?, expires_at = ? WHERE policy = ?"
                + " AND (expires_at <= ? OR owner_token = ?)")) {
      ps.setString(1, owner);
      ps.setLong(2, expiresAt);
      ps.setString(3, policy);
      ps.setLong(4, now);
      ps.setString(5, owner);
      return ps.executeUpdate() == 1;
    }
  }

  /** Inside the caller's transaction: extends our lease, false if another owner has it. */
  boolean renew(Connection c, String policy, String owner, long expiresAt) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE " + table + " SET expires_at = ? WHERE policy = ? AND owner_token = ?")) {
      ps.setLong(1, expiresAt);
      ps.setString(2, policy);
      ps.setString(3, owner);
      return ps.executeUpdate() == 1;
    }
  }

  /** Ends our lease at once (autocommit connection). */
  void release(Connection c, String policy, String owner) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE " + table + " SET expires_at = 0 WHERE policy = ? AND owner_token = ?")) {
      ps.setString(1, policy);
      ps.setString(2, owner);
      ps.executeUpdate();
    }
  }

  private static boolean isDuplicate(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("23") || state.equals("42P07"));
  }
}
