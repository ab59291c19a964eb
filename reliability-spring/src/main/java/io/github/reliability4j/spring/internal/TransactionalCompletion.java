package io.github.reliability4j.spring.internal;

import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotentExecution;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.IntConsumer;
import javax.sql.DataSource;
import org.springframework.core.Ordered;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Completes an idempotency key inside the caller's Spring transaction: the one mechanism behind
 * {@code @Idempotent} + {@code @Transactional} handlers and the transactional inbox of
 * {@code @IdempotentListener} message listeners.
 *
 * <p>{@link #register} adds a transaction synchronization that, before the commit, writes the
 * completion on the transaction's own connection ({@link
 * JdbcIdempotencyStore#completeInTransactionOrThrow}): the business write and the dedup record
 * commit or roll back together. A lost lease or a failing completion statement throws from the
 * commit, so the transaction rolls back. After a commit the execution is marked completed
 * externally; the callback then learns the transaction's status and decides what to do with an
 * execution whose transaction rolled back (release it, or leave it to another layer).
 *
 * <p>{@link #insertCompleted} is the one-statement variant for a new key whose outcome is known
 * before the business write (a message listener's "processed"): the key is inserted as completed on
 * the transaction's connection before the business write ({@link
 * JdbcIdempotencyStore#insertCompletedInTransaction}), and {@link #registerInserted} removes it
 * again before the commit if the business code failed but the transaction commits anyway.
 *
 * <p>Stateless; the synchronization runs on the committing thread.
 */
public final class TransactionalCompletion {

  private TransactionalCompletion() {}

  /**
   * True if a read-write Spring transaction with synchronization is active on this thread and holds
   * a connection of {@code dataSource}; {@link #register} may then be called.
   */
  public static boolean isActiveOn(DataSource dataSource) {
    return dataSource != null
        && TransactionSynchronizationManager.isSynchronizationActive()
        && TransactionSynchronizationManager.isActualTransactionActive()
        && !TransactionSynchronizationManager.isCurrentTransactionReadOnly()
        && TransactionSynchronizationManager.hasResource(dataSource);
  }

  /**
   * Registers the completion of {@code execution} (an owner) with {@code outcome} in the current
   * transaction. After the transaction ends, a committed execution is {@link
   * IdempotentExecution#markCompletedExternally() marked completed externally} and {@code
   * afterCompletion} receives the {@link TransactionSynchronization} status ({@code
   * STATUS_COMMITTED}, {@code STATUS_ROLLED_BACK}, {@code STATUS_UNKNOWN}); an exception it throws
   * is logged by Spring and does not change the transaction's outcome.
   *
   * @throws IllegalStateException if no transaction synchronization is active
   */
  public static void register(
      JdbcIdempotencyStore store,
      DataSource dataSource,
      IdempotentExecution execution,
      StoredOutcome outcome,
      IntConsumer afterCompletion) {
    TransactionSynchronizationManager.registerSynchronization(
        new TransactionSynchronization() {
          @Override
          public int getOrder() {
            // Late, after the application's own beforeCommit work, but before default-ordered ones.
            return Ordered.LOWEST_PRECEDENCE - 1;
          }

          @Override
          public void beforeCommit(boolean readOnly) {
            onTransactionConnection(
                dataSource,
                connection -> {
                  store.completeInTransactionOrThrow(
                      connection,
                      execution.key(),
                      execution.ownerToken().orElseThrow(),
                      outcome,
                      execution.config().getRetention());
                  return null;
                });
          }

          @Override
          public void afterCompletion(int status) {
            if (status == STATUS_COMMITTED) {
              execution.markCompletedExternally();
            }
            afterCompletion.accept(status);
          }
        });
  }

  /**
   * Inserts {@code key} as completed with {@code outcome} on the current transaction's connection
   * of {@code dataSource} (see {@link JdbcIdempotencyStore#insertCompletedInTransaction}): present
   * with the owner token if inserted (commits with the transaction), empty if the key already has a
   * row or the dialect cannot do it; then use the engine's claim and {@link #register}.
   *
   * @throws io.github.reliability4j.core.idempotency.IdempotencyStoreException if the statement
   *     fails; on PostgreSQL the transaction is then aborted and must roll back
   */
  public static Optional<String> insertCompleted(
      JdbcIdempotencyStore store,
      DataSource dataSource,
      IdempotencyKey key,
      RequestFingerprint fingerprint,
      StoredOutcome outcome,
      Duration retention) {
    return onTransactionConnection(
        dataSource,
        connection ->
            store.insertCompletedInTransaction(connection, key, fingerprint, outcome, retention));
  }

  /**
   * Inserts every key of {@code keys} as completed with {@code outcome} in one statement on the
   * current transaction's connection of {@code dataSource} (see {@link
   * JdbcIdempotencyStore#insertCompletedBatchInTransaction}): the keys inserted with their owner
   * token (they commit with the transaction); the others already have a row, or the dialect cannot
   * do it (then none is inserted), and go the engine's claim and {@link #register}.
   *
   * @throws io.github.reliability4j.core.idempotency.IdempotencyStoreException if the statement
   *     fails; on PostgreSQL the transaction is then aborted and must roll back
   */
  public static Map<IdempotencyKey, String> insertCompletedBatch(
      JdbcIdempotencyStore store,
      DataSource dataSource,
      Map<IdempotencyKey, RequestFingerprint> keys,
      StoredOutcome outcome,
      Duration retention) {
    return onTransactionConnection(
        dataSource,
        connection ->
            store.insertCompletedBatchInTransaction(connection, keys, outcome, retention));
  }

  /**
   * Registers the end of a transaction that {@link #insertCompleted inserted} {@code key}: before a
   * commit, if {@code failed} says the business code failed, the inserted row is deleted in the
   * transaction (so a transaction that commits despite the failure leaves the key free, as a
   * released claim would); {@code afterCompletion} then receives the transaction's status.
   */
  public static void registerInserted(
      JdbcIdempotencyStore store,
      DataSource dataSource,
      IdempotencyKey key,
      String ownerToken,
      BooleanSupplier failed,
      IntConsumer afterCompletion) {
    registerInsertedBatch(store, dataSource, Map.of(key, ownerToken), failed, afterCompletion);
  }

  /**
   * Like {@link #registerInserted} for the keys {@link #insertCompletedBatch} inserted, each with
   * its owner token: all of them are deleted before a commit if {@code failed} says so.
   */
  public static void registerInsertedBatch(
      JdbcIdempotencyStore store,
      DataSource dataSource,
      Map<IdempotencyKey, String> inserted,
      BooleanSupplier failed,
      IntConsumer afterCompletion) {
    TransactionSynchronizationManager.registerSynchronization(
        new TransactionSynchronization() {
          @Override
          public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE - 1;
          }

          @Override
          public void beforeCommit(boolean readOnly) {
            if (failed.getAsBoolean()) {
              onTransactionConnection(
                  dataSource,
                  connection -> {
                    inserted.forEach(
                        (key, ownerToken) ->
                            store.deleteInTransaction(connection, key, ownerToken));
                    return null;
                  });
            }
          }

          @Override
          public void afterCompletion(int status) {
            afterCompletion.accept(status);
          }
        });
  }

  /** Applies {@code work} to the current transaction's connection of {@code dataSource}. */
  private static <T> T onTransactionConnection(
      DataSource dataSource, Function<Connection, T> work) {
    Connection connection = DataSourceUtils.getConnection(dataSource);
    try {
      return work.apply(connection);
    } finally {
      DataSourceUtils.releaseConnection(connection, dataSource);
    }
  }
}
