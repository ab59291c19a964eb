package io.github.reliability4j.test.postgres;

import javax.sql.DataSource;

/**
 * One PostgreSQL server of a {@link PostgresCluster}: the primary or a replica.
 *
 * <p>Connections go to the {@code postgres} database as the superuser {@code postgres} (trust
 * authentication, no password). The {@link #dataSource()} is not pooled: every {@code
 * getConnection()} opens a new physical connection, with a 2 s connect timeout, so a stopped node
 * fails fast with a {@link java.sql.SQLException} instead of hanging. Wrap it in your own pool if a
 * test needs one.
 *
 * <p>Thread-safe: every method may be called from any thread.
 */
public interface PostgresNode {

  /**
   * A non-pooled DataSource for this node. It stays valid across {@link ReplicaNode#stop()} and
   * {@link ReplicaNode#start()} because the node keeps its port.
   */
  DataSource dataSource();

  /**
   * A JDBC URL for this node, e.g. {@code
   * jdbc:postgresql://localhost:54321/postgres?user=postgres&connectTimeout=2&...}, for pools and
   * frameworks that take a URL. It carries the same timeouts as {@link #dataSource()}.
   */
  String jdbcUrl();

  /** The node's TCP port on localhost; fixed for the life of the cluster. */
  int port();

  /** A stable name for messages: {@code primary}, {@code replica-0}, {@code replica-1}, ... */
  String name();

  /**
   * Whether the server process was started by the kit and not stopped since. This reflects the
   * kit's own bookkeeping; it does not probe the server.
   */
  boolean isRunning();
}
