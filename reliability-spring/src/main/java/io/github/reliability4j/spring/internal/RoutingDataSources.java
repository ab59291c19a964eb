package io.github.reliability4j.spring.internal;

import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import java.sql.SQLException;
import javax.sql.DataSource;

/** Finds the replica router behind the application's DataSource bean. Not API. */
public final class RoutingDataSources {

  private RoutingDataSources() {}

  /**
   * The {@link ReplicaRoutingDataSource} that {@code dataSource} wraps, or {@code null} when it
   * does not route (no replicas configured).
   *
   * @throws IllegalStateException when the DataSource cannot answer {@code isWrapperFor} / {@code
   *     unwrap}: the start fails rather than silently running without the routing beans (no
   *     consistency tokens, no lag meters) while reads still go to replicas
   */
  public static ReplicaRoutingDataSource router(DataSource dataSource) {
    try {
      return dataSource.isWrapperFor(ReplicaRoutingDataSource.class)
          ? dataSource.unwrap(ReplicaRoutingDataSource.class)
          : null;
    } catch (SQLException e) {
      throw new IllegalStateException(
          "reliability4j could not tell whether the DataSource "
              + dataSource
              + " routes to replicas: isWrapperFor/unwrap(ReplicaRoutingDataSource) threw "
              + e
              + ". Fix the DataSource's unwrap support or set reliability.routing.enabled=false.",
          e);
    }
  }

  /**
   * The DataSource that bookkeeping (the idempotency store) should use: the primary pool behind a
   * {@link io.github.reliability4j.spring.routing.RoutedDataSource}, else {@code dataSource}
   * itself. Store statements through the router would read the WAL position after each commit (a
   * second round trip) and advance the request's consistency token on dedup bookkeeping.
   */
  public static DataSource unrouted(DataSource dataSource) {
    if (ROUTED_PRESENT
        && dataSource instanceof io.github.reliability4j.spring.routing.RoutedDataSource routed) {
      return routed.getPrimary();
    }
    return dataSource;
  }

  // RoutedDataSource extends spring-jdbc's DelegatingDataSource, which may be absent.
  private static final boolean ROUTED_PRESENT =
      org.springframework.util.ClassUtils.isPresent(
          "org.springframework.jdbc.datasource.DelegatingDataSource",
          RoutingDataSources.class.getClassLoader());
}
