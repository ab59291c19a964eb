package io.github.reliability4j.core.routing.internal;

import io.github.reliability4j.core.routing.FallbackReason;
import java.util.List;

/**
 * The candidates of one read's plan as a value ({@link ReplicaRouter#plan}; tests and diagnostics):
 * the primary first if {@code primaryFirst}; then the {@code ready} replicas (already satisfy the
 * consistency level); then a causal wait on the first of {@code waitCandidates} that hands out a
 * connection; then the primary if {@code primaryAllowed}; finally, only when the primary was
 * unreachable and the partition behaviour allows it, the freshest of {@link
 * ReplicaRouter#staleCandidates()}, asked for only then. Reads walk the same plan step by step
 * through a {@link ReadRoute}.
 *
 * @param fallbackReason why the replicas cannot serve the read at once, or null if some can
 */
public record RoutePlan(
    boolean primaryFirst,
    List<ReplicaState> ready,
    List<ReplicaState> waitCandidates,
    boolean primaryAllowed,
    FallbackReason fallbackReason) {}
