package io.github.reliability4j.test.mariadb;

import javax.sql.DataSource;

/**
 * One MariaDB server of a {@link MariaDbCluster}: the primary or a replica.
 *
 * <p>Connections go to the database {@code test} as {@code root} with an empty password, over TCP
 * on 127.0.0.1. The {@link #dataSource()} is not pooled: every {@code getConnection()} opens a new
 * physical connection through {@link java.sql.DriverManager} with a 2 s connect timeout, so a
 * stopped node fails fast. It needs {@code org.mariadb.jdbc:mariadb-java-client} on the class path
 * (the kit itself does not depend on a driver at compile time).
 *
 * <p>Thread-safe.
 */
public interface MariaDbNode {

  /** A non-pooled DataSource; valid across {@link MariaDbReplica#stop()}/{@link #isRunning()}. */
  DataSource dataSource();

  /** A JDBC URL for this node, e.g. {@code jdbc:mariadb://127.0.0.1:41234/test?user=root&...}. */
  String jdbcUrl();

  /** The TCP port on 127.0.0.1; fixed for the life of the cluster. */
  int port();

  /**
   * The node's {@code server_id}: {@link MariaDbClusterConfig#firstServerId()} (default 1) for the
   * primary, one more plus the index for replicas.
   */
  int serverId();

  /** A stable name for messages: {@code primary}, {@code replica-0}, ... */
  String name();

  /** Whether the kit started the server and has not stopped it since (bookkeeping, no probe). */
  boolean isRunning();
}
