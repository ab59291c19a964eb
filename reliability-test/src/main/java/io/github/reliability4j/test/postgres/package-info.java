/**
 * Embedded PostgreSQL with real streaming replicas for tests, examples and benchmarks; no database
 * needs to be installed.
 *
 * <p>In JUnit Jupiter tests, annotate the class and take the cluster as a parameter; the cluster is
 * shared by every class with the same annotation and reset before each class:
 *
 * <pre>{@code
 * @ReplicatedPostgres(replicas = 2)
 * class StaleReadTest {
 *   @Test
 *   void pausedReplicaServesStaleData(PostgresCluster cluster) throws Exception {
 *     ReplicaNode replica = cluster.replica(0);
 *     replica.pauseReplay();
 *     // write through cluster.primary().dataSource(); the row is invisible on replica
 *     replica.resumeReplay();
 *     replica.awaitCaughtUp(Duration.ofSeconds(10));
 *     // now it is visible
 *   }
 * }
 * }</pre>
 *
 * <p>Elsewhere, start and close a cluster yourself:
 *
 * <pre>{@code
 * try (PostgresCluster cluster = PostgresCluster.start(2)) {
 *   DataSource primary = cluster.primary().dataSource();
 *   DataSource replica = cluster.replica(1).dataSource();
 *   ...
 * }
 * }</pre>
 *
 * <p>Entry points: {@link io.github.reliability4j.test.postgres.ReplicatedPostgres}, {@link
 * io.github.reliability4j.test.postgres.PostgresCluster}, {@link
 * io.github.reliability4j.test.postgres.ClusterConfig}; each {@link
 * io.github.reliability4j.test.postgres.ReplicaNode} is a lag controller (pause, delay, stop,
 * await).
 */
package io.github.reliability4j.test.postgres;
