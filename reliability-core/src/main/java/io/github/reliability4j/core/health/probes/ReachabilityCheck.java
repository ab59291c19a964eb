package io.github.reliability4j.core.health.probes;

import java.time.Duration;

/**
 * The tiny hook a store implements so that {@link ReachabilityProbe} can report its reachability
 * and latency (e.g. an idempotency store's cheapest round trip).
 *
 * <p>Called on an evaluator thread, never concurrently for one registration. Should honour {@code
 * timeout} (it is the evaluation's deadline) and respond to interrupts where it can.
 */
@FunctionalInterface
public interface ReachabilityCheck {

  /**
   * Performs one cheap round trip.
   *
   * @param timeout the time left for the check
   * @return true if reachable, false if the store answered that it cannot serve
   * @throws Exception if unreachable; the message becomes the probe output
   */
  boolean ping(Duration timeout) throws Exception;
}
