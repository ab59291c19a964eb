package io.github.reliability4j.core.routing;

/**
 * Why the router dropped what it knew about a replica's position (see {@link
 * RoutingListener#onReplicaReset}).
 */
public enum ReplicaReset {
  /**
   * The server behind a replica name is not the one sampled before: restarted, re-seeded, replaced
   * from an older clone, or another server of an undeclared load-balanced endpoint.
   */
  SERVER_CHANGED,
  /** The same server reported a replay position behind the one it reported before. */
  POSITION_WENT_BACKWARDS
}
