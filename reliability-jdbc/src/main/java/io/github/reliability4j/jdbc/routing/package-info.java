/**
 * {@link io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource}: a {@code DataSource} over
 * one primary and N replicas with read-your-writes by replication position.
 *
 * <p>Rooms (all but the data source, its config, the dialects and the exceptions are
 * package-private): the logical connection {@code RoutingConnection} answers the {@code Connection}
 * API (statements, transactions, recorded settings, metadata, unwrap); {@code PhysicalConnections}
 * holds its physical connections ({@code Physical}), the logical settings it applies to them, the
 * transaction bookkeeping and the position capture after writes; {@code ReadSteps} carries out the
 * steps of a read that core's {@code ReadRoute} decides (which node, in which order, whether a
 * server qualifies, how long to wait, when to refuse) and decides nothing itself. The statement
 * wrappers {@code RoutedStatement} (deferred creation, setter recording and replay, the one
 * re-route of a failed replica read), {@code RoutedPreparedStatement}, {@code
 * RoutedCallableStatement} and {@code RoutedResultSet} hold only what they intercept; the JDBC
 * pass-through is written once in {@code DelegatingConnection}, {@code DelegatingStatement}, {@code
 * DelegatingPreparedStatement}, {@code DelegatingCallableStatement} and {@code
 * DelegatingResultSet}, which are not edited by hand.
 */
package io.github.reliability4j.jdbc.routing;
