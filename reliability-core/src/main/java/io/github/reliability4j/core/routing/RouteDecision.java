package io.github.reliability4j.core.routing;

/**
 * Where a logical connection was routed and why.
 *
 * @param node name of the node that serves the connection
 * @param role its role
 * @param consistency the effective consistency level ({@code STRONG} for writes)
 * @param readPreference the effective read preference, or {@code PRIMARY} for writes
 * @param write whether the connection was routed as read-write
 * @param fallback why the read did not go where the preference pointed first, or null
 * @param possiblyStale whether the data may violate the requested consistency (partition behaviour
 *     {@link PartitionBehavior#SERVE_POSSIBLY_STALE})
 */
public record RouteDecision(
    String node,
    NodeRole role,
    ConsistencyLevel consistency,
    ReadPreference readPreference,
    boolean write,
    FallbackReason fallback,
    boolean possiblyStale) {}
