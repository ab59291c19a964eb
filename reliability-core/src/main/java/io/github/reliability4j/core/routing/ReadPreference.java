package io.github.reliability4j.core.routing;

/**
 * Which kind of node a read prefers. The {@link ConsistencyLevel} further restricts which replicas
 * qualify.
 */
public enum ReadPreference {
  /** Always the primary; the consistency level is then irrelevant. */
  PRIMARY,
  /** The primary while it is reachable, else a qualifying replica. */
  PRIMARY_PREFERRED,
  /** Only a qualifying replica; the read fails with a retryable error when none qualifies. */
  REPLICA,
  /** A qualifying replica, else the primary (the default for reads). */
  REPLICA_PREFERRED,
  /** The qualifying node (primary included) with the lowest measured probe latency. */
  NEAREST
}
