/**
 * Built-in probes that read signals the application already has — thread-pool statistics, latencies
 * it records, circuit-breaker state, a store's own ping — instead of adding load.
 *
 * <p>Each probe is thread-safe, returns quickly, and never blocks except {@link
 * io.github.reliability4j.core.health.probes.ReachabilityProbe}, which runs the check it is given
 * under the evaluator's deadline.
 */
package io.github.reliability4j.core.health.probes;
