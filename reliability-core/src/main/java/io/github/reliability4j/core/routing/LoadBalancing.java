package io.github.reliability4j.core.routing;

/** How a read chooses among several qualifying replicas. */
public enum LoadBalancing {
  /** Rotate through the qualifying replicas. */
  ROUND_ROBIN,
  /** The replica with the fewest connections currently routed to it; ties go round robin. */
  LEAST_OUTSTANDING,
  /** The replica with the lowest smoothed probe latency. */
  LOWEST_LATENCY
}
