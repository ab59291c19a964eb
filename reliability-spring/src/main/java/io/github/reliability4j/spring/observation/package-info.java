/**
 * Micrometer Observations (traces and timers) of idempotent requests, routing decisions and probe
 * evaluations; names and keys in {@link
 * io.github.reliability4j.spring.observation.ReliabilityObservations}.
 */
package io.github.reliability4j.spring.observation;
