/**
 * Retention for the application's own tables: {@link
 * io.github.reliability4j.jdbc.retention.RetentionPolicy} says what to remove, {@link
 * io.github.reliability4j.jdbc.retention.RetentionRunner} removes it in bounded, lag-aware batches
 * (optionally archiving each row in the same transaction), {@link
 * io.github.reliability4j.jdbc.retention.RetentionScheduler} runs policies on the application's
 * executor, and {@link io.github.reliability4j.jdbc.retention.RetentionBacklogProbe} reports when
 * retention falls behind.
 */
package io.github.reliability4j.jdbc.retention;
