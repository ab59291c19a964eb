package io.github.reliability4j.core.health;

/**
 * How much a health response reveals. Choose per audience: orchestrators need {@link #STATUS_ONLY},
 * dashboards {@link #COMPONENTS}, operators {@link #FULL}.
 *
 * <ul>
 *   <li>{@link #STATUS_ONLY}: only the top-level {@code status}.
 *   <li>{@link #COMPONENTS}: plus service identification, the lifecycle reason, and per component
 *       {@code componentId}, {@code componentType}, {@code status}, {@code time}, and for an
 *       evaluation that did not complete normally a fixed description of the outcome ("timed out",
 *       "probe threw an exception", ...). Probe output, exception messages and observed values are
 *       withheld.
 *   <li>{@link #FULL}: plus {@code observedValue}, {@code observedUnit}, the probe's {@code output}
 *       including exception messages, and {@code details}. May reveal host names, SQL states and
 *       internal structure.
 * </ul>
 */
public enum RedactionLevel {
  STATUS_ONLY,
  COMPONENTS,
  FULL
}
