package io.github.reliability4j.core.idempotency.event;

/**
 * Receives engine events (metrics, audit logs).
 *
 * <p>Called synchronously on the thread that caused the event: the caller's thread, or the lease
 * renewal scheduler's thread for renewal failures. Must be thread-safe and fast. An exception
 * thrown by a listener is logged at WARN and otherwise ignored: it never changes the outcome of the
 * request, and the other listeners still run.
 */
@FunctionalInterface
public interface IdempotencyEventListener {

  void onEvent(IdempotencyEvent event);
}
