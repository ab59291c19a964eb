package io.github.reliability4j.jdbc.routing;

import static io.github.reliability4j.jdbc.routing.PostgresReplicationDialect.queryString;

import io.github.reliability4j.core.routing.GtidPosition;
import io.github.reliability4j.core.routing.ReplicationPosition;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MariaDB (10.4+) GTID replication; positions are {@link GtidPosition}s compared per replication
 * domain. Chosen automatically when the primary's JDBC metadata names MariaDB.
 *
 * <ul>
 *   <li>Token, in the writing session right after COMMIT: {@code SELECT @@last_gtid}, the GTID
 *       MariaDB assigned to this session's last binlogged transaction (one round trip per committed
 *       write, none for reads). A session whose transaction wrote nothing gets its previous GTID,
 *       which is harmless: there is nothing new to see. (MariaDB can also send {@code last_gtid} in
 *       the OK packet through {@code session_track_system_variables}, but MariaDB Connector/J does
 *       not expose tracked variables through a public API, so the token costs a query.)
 *   <li>Primary position for the lag monitor: {@code @@gtid_binlog_pos} (the last GTID of every
 *       domain).
 *   <li>Replica position: {@code @@gtid_slave_pos}. A replica covers a token when it has every
 *       domain of the token with a sequence number at least as high; a replica missing a domain
 *       does not cover it.
 *   <li>Bounded wait: {@code SELECT MASTER_GTID_WAIT(token, seconds)} on the replica, one round
 *       trip that returns 0 as soon as the replica has applied the token, or -1 at the timeout.
 *   <li>Role and source: a node is a replica when {@code SHOW SLAVE STATUS} returns a row. The
 *       cluster id is {@code mariadb:server_id=N}, N being the primary's {@code @@server_id} on the
 *       primary and {@code Master_Server_Id} on a replica, so a replica replicating from another
 *       server is rejected at start ("belongs to cluster ..."). The lag monitor re-checks this on
 *       every sample: a replica re-pointed at another primary, or no longer replicating, fails its
 *       sample and is excluded (reads go elsewhere or to the primary, with the usual listener
 *       events). {@code nodeIdentity} is {@code server_id=N}.
 * </ul>
 *
 * <h2>Checked at start</h2>
 *
 * The server must be MariaDB (MySQL is refused: its GTIDs are a different format); the primary must
 * have {@code log_bin=ON} (without a binary log there are no GTIDs); a replica must not filter
 * domains ({@code DO_DOMAIN_IDS}/{@code IGNORE_DOMAIN_IDS}: it could never be measured as caught
 * up) and must have connected to its primary at least once ({@code Master_Server_Id} known; until
 * then it stays excluded). {@code gtid_strict_mode=OFF} on the primary is logged as a warning:
 * without it sequence numbers of a domain are not guaranteed to increase.
 *
 * <h2>Not supported</h2>
 *
 * Chained replicas (a replica of a replica: its {@code Master_Server_Id} is not the primary's),
 * multi-source replication (only the default connection of {@code SHOW SLAVE STATUS} is read), and
 * table or database replication filters ({@code Replicate_Do_DB} etc.: a filtered transaction still
 * advances {@code @@gtid_slave_pos}, so the replica "covers" a write it never applied; such a
 * replica is logged with a warning at start). Byte lag is unknown ({@code -1}): time lag is
 * measured against the primary's position history as for PostgreSQL. {@code Seconds_Behind_Master}
 * is never used for admission: it is {@code NULL} while the SQL thread is stopped and 0 while the
 * IO thread is behind, so it understates lag; the position-based lag is an upper bound. Privileges:
 * the pools' users need {@code SLAVE MONITOR} (or {@code REPLICATION CLIENT} before 10.5) for
 * {@code SHOW SLAVE STATUS}.
 *
 * <p>Thread-safe and stateless.
 */
public final class MariaDbReplicationDialect implements ReplicationDialect {

  private static final Logger LOG = LoggerFactory.getLogger(MariaDbReplicationDialect.class);

  public static final MariaDbReplicationDialect INSTANCE = new MariaDbReplicationDialect();

  static final String CLUSTER_PREFIX = "mariadb:server_id=";

  private MariaDbReplicationDialect() {}

  @Override
  public String name() {
    return "mariadb";
  }

  @Override
  public String clusterId(Connection c) throws SQLException {
    requireMariaDb(c);
    Map<String, String> status = slaveStatus(c);
    if (status.isEmpty()) {
      if (!"1".equals(queryString(c, "SELECT @@log_bin"))) {
        throw new RoutingConfigurationException(
            null,
            "MariaDB primary "
                + describe(c)
                + " runs with log_bin=OFF: without a binary log there are no GTIDs to route by;"
                + " start it with --log-bin",
            null);
      }
      if (!"1".equals(queryString(c, "SELECT @@gtid_strict_mode"))) {
        LOG.warn(
            "MariaDB primary {} runs with gtid_strict_mode=OFF: enable it so that sequence"
                + " numbers of a replication domain always increase",
            describe(c));
      }
      return CLUSTER_PREFIX + queryString(c, "SELECT @@server_id");
    }
    checkReplicaSetup(c, status);
    return CLUSTER_PREFIX + masterServerId(c, status);
  }

  @Override
  public Optional<String> nodeIdentity(Connection c) throws SQLException {
    return Optional.of("server_id=" + queryString(c, "SELECT @@server_id"));
  }

  /**
   * {@code @@hostname:@@port/server_id=@@server_id}: tells the servers behind a load-balanced
   * address apart (each replica needs its own {@code server_id} anyway). MariaDB has no cheap,
   * exact server start time, so a server replaced on the same address by a clone with the same
   * {@code server_id} is not told apart here; the lag monitor detects it at its next sample when
   * its GTID position is behind the one seen before ({@code onReplicaReset}), and until then a read
   * may trust the old position: give a re-seeded replica a new {@code server_id}.
   */
  @Override
  public Optional<String> serverInstance(Connection c) throws SQLException {
    return Optional.ofNullable(
        queryString(c, "SELECT CONCAT(@@hostname, ':', @@port, '/server_id=', @@server_id)"));
  }

  @Override
  public Optional<Boolean> isInRecovery(Connection c) throws SQLException {
    requireMariaDb(c);
    return Optional.of(!slaveStatus(c).isEmpty());
  }

  @Override
  public String roleCheckDescription() {
    return "a SHOW SLAVE STATUS row";
  }

  @Override
  public ReplicationPosition currentPosition(Connection primary) throws SQLException {
    return gtid(primary, "SELECT @@gtid_binlog_pos");
  }

  @Override
  public ReplicationPosition sessionPosition(Connection primary) throws SQLException {
    return gtid(primary, "SELECT @@last_gtid");
  }

  @Override
  public ReplicationPosition replayPosition(Connection replica) throws SQLException {
    return gtid(replica, "SELECT @@gtid_slave_pos");
  }

  @Override
  public ReplicationPosition replayPosition(Connection replica, String clusterId)
      throws SQLException {
    Map<String, String> status = slaveStatus(replica);
    if (status.isEmpty()) {
      throw new SQLException(
          "MariaDB server "
              + describe(replica)
              + " is no longer a replica (SHOW SLAVE STATUS is empty)",
          "55000");
    }
    String source = CLUSTER_PREFIX + masterServerId(replica, status);
    if (!source.equals(clusterId)) {
      throw new SQLException(
          "MariaDB replica "
              + describe(replica)
              + " replicates from "
              + source.substring("mariadb:".length())
              + ", not from this cluster's primary ("
              + clusterId.substring("mariadb:".length())
              + "); its positions cannot be compared, so it receives no reads",
          "55000");
    }
    return replayPosition(replica);
  }

  @Override
  public ReplicationPosition parsePosition(String encoded) {
    return GtidPosition.parse(encoded);
  }

  @Override
  public boolean waitsOnServer() {
    return true;
  }

  @Override
  public boolean awaitReplay(Connection replica, ReplicationPosition target, Duration timeout)
      throws SQLException {
    double seconds = Math.max(0, timeout.toNanos()) / 1e9;
    try (PreparedStatement ps = replica.prepareStatement("SELECT MASTER_GTID_WAIT(?, ?)")) {
      ps.setString(1, target.encode());
      ps.setDouble(2, seconds);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return false;
        }
        int result = rs.getInt(1);
        return !rs.wasNull() && result == 0;
      }
    }
  }

  // ---------------------------------------------------------------- checks

  /**
   * Whether metadata describes a MariaDB server: MariaDB Connector/J names the product "MariaDB";
   * MySQL Connector/J says "MySQL" with a version such as "10.11.6-MariaDB".
   */
  static boolean isMariaDb(DatabaseMetaData md) throws SQLException {
    String product = String.valueOf(md.getDatabaseProductName());
    String version = String.valueOf(md.getDatabaseProductVersion());
    return product.equalsIgnoreCase("MariaDB")
        || version.toLowerCase(Locale.ROOT).contains("mariadb");
  }

  private static void requireMariaDb(Connection c) throws SQLException {
    DatabaseMetaData md = c.getMetaData();
    if (!isMariaDb(md)) {
      throw new RoutingConfigurationException(
          null,
          "MariaDbReplicationDialect needs MariaDB, but "
              + md.getURL()
              + " is "
              + md.getDatabaseProductName()
              + " "
              + md.getDatabaseProductVersion()
              + "; "
              + ReplicationDialects.MYSQL_NOT_SUPPORTED,
          null);
    }
  }

  private static void checkReplicaSetup(Connection c, Map<String, String> status)
      throws SQLException {
    for (String filter : new String[] {"Replicate_Do_Domain_Ids", "Replicate_Ignore_Domain_Ids"}) {
      String v = status.get(filter);
      if (v != null && !v.isBlank()) {
        throw new RoutingConfigurationException(
            null,
            "MariaDB replica "
                + describe(c)
                + " filters replication domains ("
                + filter
                + "="
                + v
                + "): it never has every domain of the primary, so it could never be shown to"
                + " cover a write; remove the domain filter or do not route reads to it",
            null);
      }
    }
    for (String filter :
        new String[] {
          "Replicate_Do_DB",
          "Replicate_Ignore_DB",
          "Replicate_Do_Table",
          "Replicate_Ignore_Table",
          "Replicate_Wild_Do_Table",
          "Replicate_Wild_Ignore_Table"
        }) {
      String v = status.get(filter);
      if (v != null && !v.isBlank()) {
        LOG.warn(
            "MariaDB replica {} has a replication filter ({}={}): reads of filtered tables see"
                + " data the replica never applied, whatever the GTID position says",
            describe(c),
            filter,
            v);
      }
    }
  }

  private static String masterServerId(Connection c, Map<String, String> status)
      throws SQLException {
    String id = status.get("Master_Server_Id");
    if (id == null || id.isBlank() || id.equals("0")) {
      throw new SQLException(
          "MariaDB replica "
              + describe(c)
              + " has not connected to its primary yet (Master_Server_Id unknown; Slave_IO_Running="
              + status.get("Slave_IO_Running")
              + ", Last_IO_Error="
              + status.get("Last_IO_Error")
              + "), so its source cannot be verified",
          "55000");
    }
    return id;
  }

  private static Map<String, String> slaveStatus(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW SLAVE STATUS")) {
      Map<String, String> out = new HashMap<>();
      if (rs.next()) {
        ResultSetMetaData md = rs.getMetaData();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          out.put(md.getColumnLabel(i), rs.getString(i));
        }
      }
      return out;
    }
  }

  private static String describe(Connection c) {
    try {
      return c.getMetaData().getURL();
    } catch (SQLException | RuntimeException e) {
      return "(url unknown)";
    }
  }

  private static GtidPosition gtid(Connection c, String sql) throws SQLException {
    String text = queryString(c, sql);
    return text == null ? GtidPosition.empty() : GtidPosition.parse(text);
  }

  @Override
  public String toString() {
    return "MariaDbReplicationDialect";
  }
}
