package io.github.reliability4j.jdbc.routing;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link ReplicaRoutingDataSource} checks of each node when it starts: role, cluster and
 * duplicates. Every failure is a {@link RoutingConfigurationException} whose message names the
 * node.
 */
final class NodeChecks {

  private static final Logger LOG = LoggerFactory.getLogger(ReplicaRoutingDataSource.class);

  private NodeChecks() {}

  /**
   * Checks replica {@code name} at start: in recovery, of {@code clusterId}, not the same server as
   * a node in {@code identities} (to which it is added). A replica that is down at start is only
   * logged: it stays excluded until the lag monitor admits it. The connection attempt is bounded by
   * the longer of {@code replicaConnectTimeout} and {@code probeTimeout}, like every other wait for
   * a replica's pool: a pool that starts without a connection ({@code
   * initializationFailTimeout=-1}, as the Spring module creates replica pools) would otherwise hold
   * the start for its own connection timeout while its replica is down.
   *
   * @throws RoutingConfigurationException naming the replica
   */
  static void replica(
      RoutingConfig config,
      ReplicationDialect dialect,
      String clusterId,
      String name,
      Map<String, String> identities) {
    Duration bound = config.replicaConnectTimeout();
    if (config.policy().probeTimeout().compareTo(bound) > 0) {
      bound = config.policy().probeTimeout();
    }
    try (Connection c = ConnectWatchdog.SHARED.connect(config.replica(name), name, bound)) {
      Optional<Boolean> recovery = dialect.isInRecovery(c);
      if (recovery.isPresent() && !recovery.get()) {
        throw new RoutingConfigurationException(
            name,
            "replica '"
                + name
                + "' is not in recovery ("
                + dialect.roleCheckDescription()
                + " = false): it is a primary, not a replica",
            null);
      }
      String cid = clusterIdOf(dialect, c, name);
      if (!cid.equals(clusterId)) {
        throw new RoutingConfigurationException(
            name,
            "replica '"
                + name
                + "' belongs to cluster "
                + cid
                + ", but primary '"
                + config.primaryName()
                + "' to cluster "
                + clusterId,
            null);
      }
      Optional<String> id = dialect.nodeIdentity(c);
      if (id.isPresent()) {
        String other = identities.putIfAbsent(id.get(), name);
        if (other != null) {
          throw new RoutingConfigurationException(
              name,
              "duplicate node: '" + name + "' and '" + other + "' are the same server " + id.get(),
              null);
        }
      }
    } catch (RoutingConfigurationException e) {
      throw named(e, "replica", name);
    } catch (SQLException e) {
      // A replica that is down at start is excluded until the lag monitor admits it.
      LOG.warn(
          "replica '{}' is unreachable at start and stays excluded until probed: {}",
          name,
          e.toString());
    }
  }

  /** A dialect's check failed without knowing the node: name it. */
  static RoutingConfigurationException named(
      RoutingConfigurationException e, String role, String node) {
    if (e.getNode() != null) {
      return e;
    }
    return new RoutingConfigurationException(
        node, role + " '" + node + "': " + e.getMessage(), e.getCause());
  }

  /** The cluster id {@code node} reports. */
  static String clusterIdOf(ReplicationDialect d, Connection c, String node) throws SQLException {
    String id = d.clusterId(c);
    if (id == null || id.isEmpty()) {
      throw new RoutingConfigurationException(
          node, "node '" + node + "' reported no cluster id", null);
    }
    return id;
  }
}
