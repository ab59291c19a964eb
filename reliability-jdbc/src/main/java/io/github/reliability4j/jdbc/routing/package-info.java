/**
 * {@link io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource}: a {@code DataSource} over
 * one primary and N replicas with read-your-writes by replication position.
 */
package io.github.reliability4j.jdbc.routing;
