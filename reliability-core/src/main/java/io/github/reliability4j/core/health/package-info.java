/**
 * Health probes that tell the truth: degraded states, deadlines, background evaluation.
 *
 * <p>A {@link io.github.reliability4j.core.health.Probe} checks one component. A {@link
 * io.github.reliability4j.core.health.ProbeRegistration} says where it counts ({@link
 * io.github.reliability4j.core.health.ProbeKind}) and how much ({@link
 * io.github.reliability4j.core.health.ProbeWeight}); {@link
 * io.github.reliability4j.core.health.ProbeGroup} combines probes all-of / any-of / k-of-n. A
 * {@link io.github.reliability4j.core.health.HealthChecker} evaluates every probe in the background
 * on a bounded pool, each with its own interval, jitter and deadline, and publishes an immutable
 * {@link io.github.reliability4j.core.health.HealthSnapshot}; endpoints read reports from the
 * snapshot and never wait on a dependency. {@link io.github.reliability4j.core.health.HealthJson}
 * renders a report as {@code application/health+json}.
 *
 * <p>Statuses form a closed, totally ordered set ({@link
 * io.github.reliability4j.core.health.HealthStatus}); aggregation takes the most severe weighted
 * contribution and never drops one. Built-in probes live in {@code
 * io.github.reliability4j.core.health.probes}; JDBC probes in {@code
 * io.github.reliability4j.jdbc.health}.
 */
package io.github.reliability4j.core.health;
