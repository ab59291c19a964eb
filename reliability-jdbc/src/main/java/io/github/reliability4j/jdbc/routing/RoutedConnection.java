package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.RouteDecision;
import java.util.Optional;

/**
 * What a logical connection of {@link ReplicaRoutingDataSource} reveals about its routing; obtain
 * with {@code connection.unwrap(RoutedConnection.class)}. Not thread-safe, like the connection.
 */
public interface RoutedConnection {

  /** Where the current physical connection was routed, or empty before the first statement. */
  Optional<RouteDecision> routeDecision();

  /**
   * Whether the current physical connection serves data that may violate the requested consistency
   * (the primary was unreachable and the partition behaviour allowed a stale replica).
   */
  default boolean isPossiblyStale() {
    return routeDecision().map(RouteDecision::possiblyStale).orElse(false);
  }
}
