package io.github.reliability4j.test.mariadb;

import java.time.Duration;
import java.util.List;

/**
 * A MariaDB primary with N replicas connected by real GTID replication, started from the MariaDB
 * server binaries installed on the machine ({@code mariadbd}, {@code mariadb-install-db}), for
 * tests, examples and benchmarks.
 *
 * <h2>Lifecycle</h2>
 *
 * {@link #start(int)} / {@link #start(MariaDbClusterConfig)} create a fresh cluster in a new
 * temporary directory, each server on a free port of 127.0.0.1, and return once every replica
 * replicates and has caught up. The caller owns it and must {@link #close()} it, which stops every
 * server and deletes the directory. A JVM shutdown hook closes clusters that were not closed, and
 * the first start in a JVM stops servers and removes directories left behind by JVMs that died
 * without running their hooks (kill -9). Startup takes a few seconds: {@code mariadb-install-db}
 * runs once per JVM and every node starts from a copy of that data directory.
 *
 * <p>In JUnit Jupiter tests prefer {@link ReplicatedMariaDb @ReplicatedMariaDb}: one cluster per
 * configuration, shared by all test classes of the run, reset before each class, skipped with a
 * message where the binaries are missing.
 *
 * <h2>Topology and settings</h2>
 *
 * The primary has {@code server_id=1}, replica {@code i} has {@code server_id=2+i} (shifted by
 * {@link MariaDbClusterConfig.Builder#firstServerId(int)}). Every node runs with {@code log_bin},
 * {@code binlog_format=ROW} and {@code gtid_strict_mode=ON}; replicas with {@code read_only=ON} and
 * {@code MASTER_USE_GTID=slave_pos}, replicating as {@code root} over TCP. All servers run as the
 * current OS user ({@code --user=root} when that is root) with {@code
 * innodb_flush_log_at_trx_commit=2} and {@code sync_binlog=0}: not durable across an OS crash,
 * which tests do not need. Error logs are {@code <name>.err} in the cluster directory; startup
 * failures quote their last lines.
 *
 * <h2>Not guaranteed</h2>
 *
 * <ul>
 *   <li>Isolation between tests sharing a cluster: databases and rows stay. Use unique names.
 *   <li>Semi-synchronous replication and primary failover: replicas are asynchronous; the primary
 *       cannot be stopped or replaced through this API.
 * </ul>
 *
 * <p>Thread-safe.
 */
public interface MariaDbCluster extends AutoCloseable {

  /**
   * Starts a primary and {@code replicas} replicas with the default settings.
   *
   * @throws IllegalArgumentException if {@code replicas} is out of range
   * @throws IllegalStateException if the binaries are missing or the cluster cannot start in time
   */
  static MariaDbCluster start(int replicas) {
    return start(MariaDbClusterConfig.custom().replicas(replicas).build());
  }

  /**
   * Starts a cluster as described by {@code config}. On failure everything already started is
   * stopped and deleted before the exception is thrown.
   *
   * @throws IllegalStateException if the binaries are missing ({@link #binariesAvailable()}), or
   *     the cluster is not ready within {@link MariaDbClusterConfig#startupTimeout()}; the message
   *     names the node and quotes its error log
   */
  static MariaDbCluster start(MariaDbClusterConfig config) {
    return LocalMariaDbCluster.start(config);
  }

  /**
   * Whether {@code mariadbd} and {@code mariadb-install-db} were found (on the {@code PATH}, or in
   * {@code /usr/sbin}, {@code /usr/bin}, {@code /usr/local/bin}, {@code /usr/local/sbin}).
   */
  static boolean binariesAvailable() {
    return MariaDbBinaries.find().isPresent();
  }

  MariaDbClusterConfig config();

  /** The primary, the only node that accepts writes from applications. */
  MariaDbNode primary();

  /** The replicas in index order; immutable. */
  List<MariaDbReplica> replicas();

  /**
   * @throws IndexOutOfBoundsException with the number of replicas, if there is no such replica
   */
  MariaDbReplica replica(int index);

  /**
   * Waits until every running replica has applied the primary's {@code @@gtid_binlog_pos} as read
   * when this method starts; stopped replicas are skipped.
   *
   * @throws MariaDbReplicationTimeoutException for the first replica not caught up in time
   */
  void awaitReplicasCaughtUp(Duration deadline);

  /**
   * Brings every replica back to normal: starts stopped servers, removes apply delays, starts
   * stopped replication threads, then waits (within the startup timeout) until all have caught up.
   * Data is kept.
   *
   * @throws IllegalStateException if a replica cannot be brought back in time
   */
  void resetReplicas();

  /**
   * Stops every server and deletes the cluster directory. Idempotent; never throws. A cluster
   * injected by {@link ReplicatedMariaDb} belongs to the extension: {@code close()} on it does
   * nothing.
   */
  @Override
  void close();
}
