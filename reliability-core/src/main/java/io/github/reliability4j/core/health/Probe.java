package io.github.reliability4j.core.health;

/**
 * A health probe: checks one component and returns a {@link ProbeResult}.
 *
 * <p><b>Threading.</b> The evaluator calls a probe on one of its worker threads, never on a request
 * thread, and never runs two evaluations of the same registered probe at once (a probe that ignores
 * cancellation and is still running when its next evaluation is due is reported as hung instead of
 * being started again). A probe shared between several registrations must be thread-safe.
 *
 * <p><b>Deadline.</b> Every evaluation has a deadline ({@link ProbeContext#deadline()}), counted
 * from when the probe starts running ({@link ProbeContext#startedAt()}). When it passes, the
 * evaluation is recorded as {@link ProbeResult.Outcome#TIMED_OUT} with status {@code FAIL} and the
 * worker thread is interrupted. Probes doing blocking I/O should also pass the remaining time to
 * the I/O they start (socket or query timeouts), because many blocking calls ignore interrupts.
 *
 * <p><b>Exceptions.</b> A probe that throws yields a {@code FAIL} result whose output is the
 * exception's message (redacted in responses unless full detail is requested); the evaluator keeps
 * running.
 *
 * <p>Probes should read signals the application already has (pool statistics, recorded latencies,
 * circuit-breaker state) instead of adding load.
 */
@FunctionalInterface
public interface Probe {

  /**
   * Evaluates the component.
   *
   * @param context the evaluation's name, start time and deadline
   * @return the result; {@code null} is treated as a {@code FAIL} result
   * @throws Exception any failure, reported as {@code FAIL}
   */
  ProbeResult check(ProbeContext context) throws Exception;
}
