package io.github.reliability4j.core.routing.internal;

import io.github.reliability4j.core.routing.FallbackReason;
import java.util.List;

/**
 * What to try, in order, for one read: the primary first if {@code primaryFirst}; then the {@code
 * ready} replicas (already satisfy the consistency level); then a causal wait on the first of
 * {@code waitCandidates}; then the primary if {@code primaryAllowed}; finally, only when the
 * primary was unreachable and the partition behaviour allows it, the freshest of {@link
 * ReplicaRouter#staleCandidates()}, asked for only then.
 *
 * @param fallbackReason why the replicas cannot serve the read at once, or null if some can
 */
public record RoutePlan(
    boolean primaryFirst,
    List<ReplicaState> ready,
    List<ReplicaState> waitCandidates,
    boolean primaryAllowed,
    FallbackReason fallbackReason) {}
