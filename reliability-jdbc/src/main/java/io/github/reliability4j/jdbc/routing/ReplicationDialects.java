package io.github.reliability4j.jdbc.routing;

import java.sql.DatabaseMetaData;
import java.sql.SQLException;

/** Chooses the dialect from the primary's product name when none is configured. */
final class ReplicationDialects {

  static final String MYSQL_NOT_SUPPORTED =
      "MySQL is not supported for position-based read-your-writes yet (its GTID sets through"
          + " session_track_gtids and WAIT_FOR_EXECUTED_GTID_SET are untested); configure"
          + " dialect(TimeWindowReplicationDialect.of(window)) for the weaker time-window mode";

  private ReplicationDialects() {}

  /**
   * @throws RoutingConfigurationException for MySQL (not supported yet) and databases without a
   *     dialect
   */
  static ReplicationDialect detect(DatabaseMetaData md, String primaryName) throws SQLException {
    String product = md.getDatabaseProductName();
    if ("PostgreSQL".equalsIgnoreCase(product)) {
      return PostgresReplicationDialect.INSTANCE;
    }
    if (MariaDbReplicationDialect.isMariaDb(md)) {
      return MariaDbReplicationDialect.INSTANCE;
    }
    if ("MySQL".equalsIgnoreCase(product)) {
      throw new RoutingConfigurationException(
          primaryName,
          "primary '"
              + primaryName
              + "' is MySQL "
              + md.getDatabaseProductVersion()
              + ": "
              + MYSQL_NOT_SUPPORTED,
          null);
    }
    throw new RoutingConfigurationException(
        primaryName,
        "no replication dialect for database '"
            + product
            + "' (primary '"
            + primaryName
            + "'); configure dialect(TimeWindowReplicationDialect.of(window)) explicitly"
            + " (weaker: a time guess, not a replication position) or a dialect of your own",
        null);
  }
}
