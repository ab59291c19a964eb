package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConflictException;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyKeyMismatchException;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import io.github.reliability4j.core.idempotency.IdempotencyStoreUnavailableException;
import io.github.reliability4j.core.idempotency.IdempotentConsumer;
import io.github.reliability4j.core.idempotency.IdempotentExecution;
import io.github.reliability4j.core.idempotency.InvalidIdempotencyKeyException;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transactional inbox for plain message clients (the Kafka consumer, the RabbitMQ Java client):
 * each message is handled in one JDBC transaction on {@code dataSource} that also completes its
 * idempotency key, so the business write and the dedup record commit together or not at all. Like
 * {@link IdempotentConsumer}, but for handlers whose effect is a write to the store's database.
 *
 * <pre>{@code
 * TransactionalIdempotentConsumer<ConsumerRecord<String, String>> inbox =
 *     TransactionalIdempotentConsumer.builder(idempotency, dataSource, "ledger", "apply-payment",
 *             r -> header(r, "Idempotency-Key"), r -> RequestFingerprint.sha256(r.value()),
 *             (r, connection) -> insertPayment(connection, r))
 *         .build();
 * while (running) {
 *   for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofSeconds(1))) {
 *     inbox.process(r);                     // throws: seek back and poll again
 *   }
 *   consumer.commitSync();                  // offsets only after the transactions committed
 * }
 * }</pre>
 *
 * <p>Per message, {@link #process}: a completed key returns {@link
 * IdempotencyResult.Status#REPLAYED} without calling the handler (acknowledge it); a new key runs
 * the handler on a connection with auto-commit off, completes the key on that connection, commits,
 * and returns {@link IdempotencyResult.Status#STORED}. On PostgreSQL a new key costs one statement
 * more than the business transaction: the key is inserted as completed in that transaction ({@link
 * JdbcIdempotencyStore#insertCompletedInTransaction}) before the handler runs, so a concurrent
 * delivery of the same key waits for the transaction and then replays it (or, after a rollback,
 * processes it); a key that already has a row costs that insert, a rollback and the engine's claim.
 * A crash after the commit and before the acknowledgement or offset commit therefore redelivers a
 * message that is then replayed. When the handler or the commit throws, the transaction is rolled
 * back, the key released and the exception rethrown: redeliver the message. {@link
 * IdempotencyKeyMismatchException} (the key was used with another payload) and {@link
 * InvalidIdempotencyKeyException} never succeed: dead-letter such a message. {@link
 * IdempotencyConflictException} (in flight elsewhere) and {@link
 * IdempotencyStoreUnavailableException} (store down, fail-closed) are retryable. Under the
 * fail-open outage policy the handler runs in its own transaction without deduplication and the
 * status is {@link IdempotencyResult.Status#NOT_DEDUPLICATED}.
 *
 * <p>Thread-safe if the handler is; the handler runs on the caller's thread. The engine must use a
 * {@link JdbcIdempotencyStore} over the same database as {@code dataSource}.
 *
 * @param <M> message type
 */
public final class TransactionalIdempotentConsumer<M> {

  private static final Logger log = LoggerFactory.getLogger(TransactionalIdempotentConsumer.class);
  private static final StoredOutcome PROCESSED =
      StoredOutcome.of(StoredOutcome.STATUS_NO_CONTENT, new byte[0]);

  /** Handles one message on the transaction's connection; must not commit or close it. */
  @FunctionalInterface
  public interface Handler<M> {
    void handle(M message, Connection connection) throws SQLException;
  }

  private final Idempotency idempotency;
  private final JdbcIdempotencyStore store;
  private final DataSource dataSource;
  private final String scope;
  private final String operation;
  private final Function<? super M, String> messageKey;
  private final Function<? super M, RequestFingerprint> fingerprint;
  private final Handler<? super M> handler;
  private volatile Boolean insertSupported;

  private TransactionalIdempotentConsumer(Builder<M> b) {
    this.idempotency = b.idempotency;
    this.store = (JdbcIdempotencyStore) b.idempotency.store();
    this.dataSource = b.dataSource;
    this.scope = b.scope;
    this.operation = b.operation;
    this.messageKey = b.messageKey;
    this.fingerprint = b.fingerprint;
    this.handler = b.handler;
  }

  /**
   * Starts a builder with every required part.
   *
   * @param idempotency an engine whose store is a {@link JdbcIdempotencyStore}
   * @param dataSource the business database, the same one the store writes to
   * @param scope who consumes (consumer group, queue)
   * @param operation stable operation name
   * @param messageKey extracts the deduplication key; null or empty throws {@link
   *     InvalidIdempotencyKeyException}
   * @param fingerprint canonical payload digest
   * @param handler the business write
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the engine's store is not a JdbcIdempotencyStore
   */
  public static <M> Builder<M> builder(
      Idempotency idempotency,
      DataSource dataSource,
      String scope,
      String operation,
      Function<? super M, String> messageKey,
      Function<? super M, RequestFingerprint> fingerprint,
      Handler<? super M> handler) {
    return new Builder<>(
        idempotency, dataSource, scope, operation, messageKey, fingerprint, handler);
  }

  /**
   * Processes {@code message} once per key, see the class documentation.
   *
   * @throws SQLException from the handler or the commit (rolled back, key released)
   */
  public IdempotencyResult.Status process(M message) throws SQLException {
    Objects.requireNonNull(message, "message");
    String clientKey = messageKey.apply(message);
    if (clientKey == null || clientKey.isEmpty()) {
      throw new InvalidIdempotencyKeyException(
          "clientKey", InvalidIdempotencyKeyException.Reason.EMPTY, 0, 0, -1);
    }
    IdempotencyKey key = IdempotencyKey.of(scope, operation, clientKey);
    RequestFingerprint fp =
        Objects.requireNonNull(fingerprint.apply(message), "fingerprint returned null");
    if (insertCompleted(message, key, fp)) {
      return IdempotencyResult.Status.STORED;
    }
    try (IdempotentExecution execution = idempotency.begin(key, fp)) {
      switch (execution.kind()) {
        case REPLAY:
          return IdempotencyResult.Status.REPLAYED;
        case UNGUARDED:
          inTransaction(message, null);
          return IdempotencyResult.Status.NOT_DEDUPLICATED;
        default:
          inTransaction(message, execution);
          // Committed: close() must not release the key.
          execution.markCompletedExternally();
          return IdempotencyResult.Status.STORED;
      }
    }
  }

  /**
   * The one-statement path for a new key: inserts the key as completed in the business transaction,
   * runs the handler and commits. False, with the transaction rolled back and nothing written, if
   * the key already has a row, the dialect has no such insert or the insert failed: the engine's
   * claim path then decides (replay, mismatch, in flight, takeover, outage policy).
   */
  private boolean insertCompleted(M message, IdempotencyKey key, RequestFingerprint fp)
      throws SQLException {
    Boolean supported = insertSupported;
    if (supported == null) {
      try {
        supported = store.supportsInsertCompletedInTransaction();
        insertSupported = supported;
      } catch (IdempotencyStoreException e) {
        return false;
      }
    }
    if (!supported) {
      return false;
    }
    Duration retention = idempotency.configFor(operation).getRetention();
    return inTransaction(
        connection -> {
          Optional<String> owned;
          try {
            owned = store.insertCompletedInTransaction(connection, key, fp, PROCESSED, retention);
          } catch (IdempotencyStoreException e) {
            log.debug("One-statement claim of {} failed; claiming through the engine", key, e);
            owned = Optional.empty();
          }
          if (owned.isEmpty()) {
            return false;
          }
          handler.handle(message, connection);
          return true;
        });
  }

  private void inTransaction(M message, IdempotentExecution execution) throws SQLException {
    inTransaction(
        connection -> {
          handler.handle(message, connection);
          if (execution != null) {
            store.completeInTransactionOrThrow(
                connection,
                execution.key(),
                execution.ownerToken().orElseThrow(),
                PROCESSED,
                execution.config().getRetention());
          }
          return true;
        });
  }

  /** Work on a transaction's connection; true commits, false rolls back. */
  @FunctionalInterface
  private interface TransactionBody {
    boolean run(Connection connection) throws SQLException;
  }

  /**
   * Runs {@code body} on a connection with auto-commit off and commits if it returned true; rolls
   * back if it returned false or threw (rethrown). Returns what the body returned.
   */
  private boolean inTransaction(TransactionBody body) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      try {
        boolean commit = body.run(connection);
        if (commit) {
          connection.commit();
        } else {
          connection.rollback();
        }
        return commit;
      } catch (SQLException | RuntimeException | Error e) {
        try {
          connection.rollback();
        } catch (SQLException rollback) {
          e.addSuppressed(rollback);
        }
        throw e;
      } finally {
        try {
          connection.setAutoCommit(autoCommit);
        } catch (SQLException ignored) {
          // The connection is closed next; a pool resets it anyway.
        }
      }
    }
  }

  /** Builder for {@link TransactionalIdempotentConsumer}; all parts are given up front. */
  public static final class Builder<M> {
    private final Idempotency idempotency;
    private final DataSource dataSource;
    private final String scope;
    private final String operation;
    private final Function<? super M, String> messageKey;
    private final Function<? super M, RequestFingerprint> fingerprint;
    private final Handler<? super M> handler;

    private Builder(
        Idempotency idempotency,
        DataSource dataSource,
        String scope,
        String operation,
        Function<? super M, String> messageKey,
        Function<? super M, RequestFingerprint> fingerprint,
        Handler<? super M> handler) {
      this.idempotency = Objects.requireNonNull(idempotency, "idempotency");
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      this.scope = Objects.requireNonNull(scope, "scope");
      this.operation = Objects.requireNonNull(operation, "operation");
      this.messageKey = Objects.requireNonNull(messageKey, "messageKey");
      this.fingerprint = Objects.requireNonNull(fingerprint, "fingerprint");
      this.handler = Objects.requireNonNull(handler, "handler");
      if (!(idempotency.store() instanceof JdbcIdempotencyStore)) {
        throw new IllegalArgumentException(
            "TransactionalIdempotentConsumer needs an engine over a JdbcIdempotencyStore, but its"
                + " store is "
                + idempotency.store().getClass().getName());
      }
      IdempotencyKey.of(scope, operation, "x");
    }

    public TransactionalIdempotentConsumer<M> build() {
      return new TransactionalIdempotentConsumer<>(this);
    }
  }
}
