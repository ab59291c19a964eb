package io.github.reliability4j.core.health;

/**
 * Where a probe counts. A probe may count in several kinds.
 *
 * <ul>
 *   <li>{@link #LIVENESS}: can the process make progress? Restarting it would help. External
 *       dependencies are refused here unless explicitly allowed, because a database outage must not
 *       restart every instance.
 *   <li>{@link #READINESS}: should this instance receive traffic now? Dependencies and saturation
 *       belong here.
 *   <li>{@link #STARTUP}: has initialisation finished? Readiness reports {@code FAIL} until it has.
 *   <li>{@link #DEEP}: diagnostics for people and dashboards; never wired to an orchestrator.
 * </ul>
 */
public enum ProbeKind {
  LIVENESS,
  READINESS,
  STARTUP,
  DEEP
}
