/**
 * A local MariaDB primary with real GTID replicas for tests, examples and benchmarks, started from
 * the MariaDB server binaries installed on the machine ({@code mariadbd}, {@code
 * mariadb-install-db}) in temporary directories on free ports.
 *
 * <pre>{@code
 * @ReplicatedMariaDb(replicas = 1)
 * class StaleReadTest {
 *   @Test
 *   void stoppedReplicaServesStaleData(MariaDbCluster cluster) throws Exception {
 *     MariaDbReplica replica = cluster.replica(0);
 *     replica.stopReplication();
 *     // write through cluster.primary().dataSource(); the row is invisible on the replica
 *     replica.startReplication();
 *     replica.awaitCaughtUp(Duration.ofSeconds(10));
 *   }
 * }
 * }</pre>
 *
 * <p>Entry points: {@link io.github.reliability4j.test.mariadb.ReplicatedMariaDb}, {@link
 * io.github.reliability4j.test.mariadb.MariaDbCluster}, {@link
 * io.github.reliability4j.test.mariadb.MariaDbClusterConfig}; each {@link
 * io.github.reliability4j.test.mariadb.MariaDbReplica} is a lag controller (stop/start applying,
 * apply delay, stop/start the server, await).
 */
package io.github.reliability4j.test.mariadb;
