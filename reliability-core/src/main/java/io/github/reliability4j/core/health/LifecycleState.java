package io.github.reliability4j.core.health;

/**
 * The lifecycle of a {@link HealthChecker}.
 *
 * <ul>
 *   <li>{@link #STARTING}: readiness reports {@code FAIL} ("starting") until every STARTUP probe is
 *       available and, if configured, {@link HealthChecker#markStartupComplete()} was called.
 *   <li>{@link #RUNNING}: reports follow the probes. Startup has latched and stays {@code PASS}.
 *   <li>{@link #DRAINING}: graceful shutdown; readiness reports {@code FAIL} ("draining") so
 *       traffic moves away, liveness keeps following its probes so the instance is not killed
 *       early.
 *   <li>{@link #CLOSED}: the evaluator is stopped; every report is {@code FAIL}.
 * </ul>
 */
public enum LifecycleState {
  STARTING,
  RUNNING,
  DRAINING,
  CLOSED
}
