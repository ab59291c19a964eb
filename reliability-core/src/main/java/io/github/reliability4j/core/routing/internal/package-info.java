/**
 * Routing engine shared by the JDBC module. Public only so other reliability4j modules can use it;
 * not API, may change without notice.
 *
 * <p>Rooms: {@code ReplicaRouter} keeps the replicas' bookkeeping ({@code ReplicaState}: admission,
 * per-server positions, breaker), runs the lag monitor and plans which replicas qualify for a read;
 * {@code ReadRoute} holds every rule of one read — the ordered steps (primary, replica, bounded
 * causal wait, fallback to the primary under a spill permit, permitted possibly stale read,
 * refusal), whether the server a connection reached qualifies, and whether a held replica
 * connection still qualifies for the next read. A data-access module only carries the steps out
 * (the JDBC one in {@code io.github.reliability4j.jdbc.routing.ReadSteps}), so the rules are tested
 * here without a database, against a model ({@code ReadRouteProperties}).
 */
package io.github.reliability4j.core.routing.internal;
