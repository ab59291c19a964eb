package io.github.reliability4j.core.routing;

/**
 * What a read does when the primary is unreachable and no replica satisfies its consistency level.
 */
public enum PartitionBehavior {
  /**
   * Consistency first (the default): the read fails with a retryable {@code
   * SQLTransientConnectionException}.
   */
  FAIL,
  /**
   * Availability first: the freshest reachable replica serves the read, which is reported as
   * possibly stale to the listener and on the routed connection.
   */
  SERVE_POSSIBLY_STALE
}
