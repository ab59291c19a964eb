package io.github.reliability4j.jdbc.retention;

/**
 * Receives a {@link RetentionRunner}'s progress events. Called synchronously on the thread running
 * the policy, between batches (never inside a batch's transaction), so a slow listener delays the
 * next batch. An exception thrown by a listener is logged at WARN and otherwise ignored; the run
 * goes on.
 */
@FunctionalInterface
public interface RetentionListener {

  void onEvent(RetentionEvent event);
}
