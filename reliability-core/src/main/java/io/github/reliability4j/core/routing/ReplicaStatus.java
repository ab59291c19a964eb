package io.github.reliability4j.core.routing;

/**
 * Read-only snapshot of one replica as seen by the router.
 *
 * @param name replica name
 * @param admitted whether it currently receives reads (lag known and within limits, enough good
 *     samples since its last exclusion, sample not expired)
 * @param circuitBreakerState name of its Resilience4j circuit breaker state, e.g. {@code "CLOSED"}
 * @param lastSample the most recent lag sample, or null before the first one
 * @param knownPosition the newest replay position known (from samples and causal waits), or null
 * @param outstanding logical connections currently routed to it
 */
public record ReplicaStatus(
    String name,
    boolean admitted,
    String circuitBreakerState,
    LagSample lastSample,
    ReplicationPosition knownPosition,
    int outstanding) {}
