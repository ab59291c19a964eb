package io.github.reliability4j.spring.messaging;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a {@code @KafkaListener} or {@code @RabbitListener} method process each message at most
 * once per key, through the same idempotency engine and store as {@code @Idempotent} HTTP
 * endpoints.
 *
 * <pre>{@code
 * @KafkaListener(topics = "payments", groupId = "ledger")
 * @IdempotentListener(operation = "apply-payment", keyHeader = "payment-id")
 * @Transactional
 * public void on(ConsumerRecord<String, String> record) {
 *   jdbc.update("insert into ledger ...");  // commits together with the dedup record
 * }
 * }</pre>
 *
 * <p>The method must declare the raw message among its parameters: a Kafka {@code ConsumerRecord},
 * a Spring AMQP {@code org.springframework.amqp.core.Message}, or a Spring Messaging {@code
 * org.springframework.messaging.Message}, or for a Kafka batch listener a {@code
 * List<ConsumerRecord>}; start-up fails naming the method otherwise.
 *
 * <p>Per message:
 *
 * <ul>
 *   <li><b>Key</b>: the {@link #key()} expression if set, else the header {@link #keyHeader()}
 *       (default {@code reliability.messaging.idempotency.key-header}, {@code Idempotency-Key}),
 *       else (AMQP) the message's {@code messageId} property. A key built from topic, partition and
 *       offset ({@link #TOPIC_PARTITION_OFFSET}) protects against redelivery only: a producer that
 *       retries a send writes a new offset, which such a key cannot recognise.
 *   <li><b>Scope</b>: {@link #scope()} if set, else the Kafka consumer group or the AMQP queue the
 *       message was consumed from, so two services consuming the same topic never suppress each
 *       other. The stored key is (scope, {@link #operation()}, key).
 *   <li><b>No key</b>: dead-lettered with reason {@code MISSING_KEY}, or processed without
 *       deduplication (WARN log and the {@code no_key} metric) under {@link MissingKey#PROCESS}. A
 *       key that is longer than {@code max-key-length} or contains a control character is
 *       dead-lettered with reason {@code INVALID_KEY}.
 *   <li><b>Duplicate</b> of a completed key: the method does not run; the message is acknowledged.
 *   <li><b>Same key, different payload</b> (SHA-256 of the payload bytes, or of the {@link
 *       #fingerprint()} expression): dead-lettered with reason {@code MISMATCH}, never retried.
 *   <li><b>Same key in flight</b> on another consumer: waits for its outcome under {@code WAIT}
 *       (the default for listeners), then acknowledges as a duplicate or runs if the owner released
 *       the key; under {@code REJECT}, or when the wait times out, the message fails with {@code
 *       IdempotencyConflictException} and is redelivered by the framework.
 *   <li><b>The method throws</b> one of {@link #poison()}: the key is completed as failed (a
 *       redelivery is acknowledged without running) and the message is dead-lettered with reason
 *       {@code POISON}. Any other exception releases the key and propagates: the framework's retry
 *       and error handling decide.
 *   <li><b>Store unavailable</b> (fail-closed, the default): the message fails with {@code
 *       IdempotencyStoreUnavailableException}, is not acknowledged and is redelivered.
 * </ul>
 *
 * <p><b>Transactional inbox.</b> When the method runs in a Spring transaction (its own
 * {@code @Transactional}, or a listener container's transaction manager) on the JDBC store's
 * DataSource, the key is completed inside that transaction: the business write and the dedup record
 * commit or roll back together. A crash after the commit and before the acknowledgement redelivers
 * the message, which is then acknowledged without running the method. On PostgreSQL (plain layout)
 * and under the fail-closed outage policy, a new key costs one statement in that transaction and
 * nothing else: it is inserted as completed before the method runs ({@code INSERT ... ON CONFLICT
 * DO NOTHING}) and commits with the business write; an exception from the method rolls it back (or,
 * if the transaction commits anyway, it is deleted before the commit). A delivery of the same key
 * while that transaction is open waits for it on the primary key, under {@code REJECT} too, bounded
 * by the store's query timeout ({@code reliability.idempotency.jdbc.query-timeout}; then it fails
 * and is redelivered), and afterwards replays it or, after a rollback, owns the key. A store
 * failure in that statement aborts the transaction and fails the message with {@code
 * IdempotencyStoreUnavailableException}. A key that already has a row (a duplicate, a key in flight
 * outside a transaction, an expired lease) goes the usual claim path; so does every key on other
 * databases.
 *
 * <p><b>Batch listeners</b> (Spring Kafka, {@code @KafkaListener(batch = "true")} on a method
 * taking {@code List<ConsumerRecord<K, V>>}):
 *
 * <pre>{@code
 * @KafkaListener(topics = "payments", groupId = "ledger", batch = "true")
 * @IdempotentListener(operation = "apply-payment")
 * @Transactional
 * public void on(List<ConsumerRecord<String, String>> records) {
 *   records.forEach(r -> jdbc.update("insert into ledger ...")); // only the records to process
 * }
 * }</pre>
 *
 * <ul>
 *   <li>Every record of the poll is decided before the method runs, which then receives only the
 *       records to process, in delivery order (it is not called when there are none).
 *   <li>In a transaction on the JDBC store's DataSource on PostgreSQL (plain layout, fail-closed),
 *       one statement inserts the first delivery of every key of the poll as completed ({@code
 *       INSERT ... SELECT ... FROM unnest(...) ON CONFLICT DO NOTHING RETURNING}), in that
 *       transaction: N new records cost N business writes, one statement and the commit. A key that
 *       already has a row goes the usual claim (a duplicate of an earlier batch is skipped);
 *       elsewhere (MariaDB, MySQL, H2, no transaction) every key does, and owned keys are completed
 *       in the transaction, or after the method without one.
 *   <li><b>Duplicate inside the batch</b> (a later record with a key already in it and the same
 *       payload) and <b>duplicate of an earlier batch</b>: not passed to the method, counted {@code
 *       duplicate}.
 *   <li><b>Mismatch inside the batch</b> (the same key with another payload) or with an earlier
 *       batch, no key or an invalid key: that record is not passed and is dead-lettered; the rest
 *       of the batch is processed. After the transaction commits, a {@code
 *       BatchListenerFailedException} naming the first such record (its cause the {@link
 *       MessageRejectedException}, not retryable) makes the {@code DefaultErrorHandler} commit the
 *       offsets before it, send it to the recoverer at once and redeliver the records after it,
 *       which are then duplicates (their effects committed) or the next rejected record.
 *   <li><b>The method throws, or the transaction rolls back</b>: no key of the batch is recorded
 *       (the inserted keys roll back, or are deleted if the transaction commits anyway; claimed
 *       keys are released); the framework's batch error handling redelivers. {@link #poison()} is
 *       not supported on a batch listener (start-up fails): throw {@code
 *       BatchListenerFailedException} naming the record instead.
 *   <li>A conflict or a store outage on any record fails the whole batch before the method runs.
 * </ul>
 *
 * <p>Dead-lettering: Spring AMQP rejects the message without requeue ({@code
 * AmqpRejectAndDontRequeueException}; the queue's dead-letter exchange receives it); Spring Kafka
 * receives a {@link MessageRejectedException}, which the auto-configuration registers as not
 * retryable on every {@code DefaultErrorHandler} bean, so a {@code DeadLetterPublishingRecoverer}
 * publishes it at once with the reason in its exception headers.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface IdempotentListener {

  /** A key expression for Kafka records that protects against redelivery only; see above. */
  String TOPIC_PARTITION_OFFSET = "topic() + '-' + partition() + '@' + offset()";

  /** Stable operation name, part of every stored key. Required; never derived from the method. */
  String operation();

  /**
   * Name for configuration ({@code reliability.messaging.idempotency.listeners.<name>.*}) and
   * metrics (tag {@code listener}); defaults to {@link #operation()}.
   */
  String name() default "";

  /** Scope of the keys; empty means the Kafka consumer group or the AMQP consumer queue. */
  String scope() default "";

  /** Header carrying the key; empty means the configured {@code key-header}. */
  String keyHeader() default "";

  /**
   * SpEL expression over the raw message (the {@code ConsumerRecord}, AMQP {@code Message} or
   * Spring {@code Message}) giving the key, e.g. {@code "key()"} or {@code "value().orderId"};
   * replaces the header lookup. A null or empty result counts as no key.
   */
  String key() default "";

  /**
   * Name of a bean of type {@code java.util.function.Function<Object, String>} applied to the raw
   * message to give the key; replaces the header lookup. Mutually exclusive with {@link #key()}.
   */
  String keyFunction() default "";

  /**
   * SpEL expression over the raw message whose string form is fingerprinted instead of the payload
   * bytes (for Kafka values that are objects: their fields, not their identity).
   */
  String fingerprint() default "";

  /** What a message without a key does; {@link MissingKey#DEFAULT} uses the configuration. */
  MissingKey missingKey() default MissingKey.DEFAULT;

  /**
   * Exceptions (and their subclasses) from the method that mark the message as poison: the key is
   * completed as failed and the message dead-lettered. Every other exception releases the key.
   */
  Class<? extends Throwable>[] poison() default {};

  /** What a message without a key does. */
  enum MissingKey {
    /** {@code reliability.messaging.idempotency.missing-key} (default {@link #REJECT}). */
    DEFAULT,
    /** Dead-letter it with reason {@code MISSING_KEY}. */
    REJECT,
    /** Process it without deduplication, with a WARN log and the {@code no_key} metric. */
    PROCESS
  }
}
