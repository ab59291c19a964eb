/**
 * Embedded PostgreSQL with real streaming replicas for tests: {@link
 * io.github.reliability4j.test.postgres.ReplicatedPostgres @ReplicatedPostgres} for JUnit 5, {@link
 * io.github.reliability4j.test.postgres.PostgresCluster#start(int)} for everything else, and a lag
 * controller per {@link io.github.reliability4j.test.postgres.ReplicaNode replica}.
 */
package io.github.reliability4j.test.postgres;
