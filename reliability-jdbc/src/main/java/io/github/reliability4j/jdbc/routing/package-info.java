/**
 * {@link io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource}: a {@code DataSource} over
 * one primary and N replicas with read-your-writes by replication position.
 *
 * <p>Rooms (all but the data source, its config, the dialects and the exceptions are
 * package-private): the logical connection {@code RoutingConnection} (routing, transactions,
 * recorded settings) and the statement wrappers {@code RoutedStatement} (deferred creation, setter
 * recording and replay, the one re-route of a failed replica read), {@code
 * RoutedPreparedStatement}, {@code RoutedCallableStatement} and {@code RoutedResultSet} hold only
 * what they intercept; the JDBC pass-through is written once in {@code DelegatingConnection},
 * {@code DelegatingStatement}, {@code DelegatingPreparedStatement}, {@code
 * DelegatingCallableStatement} and {@code DelegatingResultSet}, which are not edited by hand.
 */
package io.github.reliability4j.jdbc.routing;
