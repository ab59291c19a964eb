package io.github.reliability4j.core.health;

/**
 * Receives status transitions and lifecycle changes of a {@link HealthChecker}.
 *
 * <p>Callbacks run synchronously on the thread that produced the change: an evaluator worker
 * thread, the scheduler thread (for deadlines), or the caller of {@link HealthChecker#drain()} and
 * {@link HealthChecker#snapshot()} (startup latching). Keep them short and non-blocking. Events of
 * one probe are delivered in order; events of different probes may be delivered concurrently, so
 * implementations must be thread-safe. An exception thrown by a listener is logged and ignored; it
 * affects neither the evaluator nor other listeners.
 */
public interface HealthListener {

  /** Called when a probe's reported status changes (after hysteresis). */
  default void onTransition(HealthTransitionEvent event) {}

  /** Called when the checker's lifecycle state changes. */
  default void onLifecycle(LifecycleState from, LifecycleState to) {}
}
