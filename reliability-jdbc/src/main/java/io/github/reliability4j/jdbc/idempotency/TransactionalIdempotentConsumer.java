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
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
 * <h2>Batches</h2>
 *
 * {@link #processBatch} handles a whole poll in one transaction, so that the key costs one
 * statement per batch instead of one per record:
 *
 * <pre>{@code
 * while (running) {
 *   List<ConsumerRecord<String, String>> batch = new ArrayList<>();
 *   consumer.poll(Duration.ofSeconds(1)).forEach(batch::add);
 *   BatchResult result = inbox.processBatch(batch);   // throws: seek back and poll again
 *   for (int i = 0; i < result.size(); i++) {
 *     if (result.outcome(i) == BatchResult.Outcome.REJECTED) {
 *       deadLetter(batch.get(i), result.rejection(i).orElseThrow());
 *     }
 *   }
 *   consumer.commitSync();                              // after the batch's transaction
 * }
 * }</pre>
 *
 * <ol>
 *   <li>Every message's key and fingerprint are computed first. A missing or invalid key is {@link
 *       BatchResult.Outcome#REJECTED} (dead-letter it); the rest of the batch goes on.
 *   <li>On PostgreSQL (plain layout), one transaction on {@code dataSource}: one statement inserts
 *       the first delivery of every key of the batch as completed ({@link
 *       JdbcIdempotencyStore#insertCompletedBatchInTransaction}), the handler runs for each key it
 *       inserted, in delivery order, on that connection, and one commit makes the business writes
 *       and the keys durable together. A batch of N new keys costs N business statements + 1 + the
 *       commit. If the handler or the commit throws, the transaction rolls back, <b>no key of the
 *       batch is recorded</b>, and the exception propagates: redeliver the whole batch.
 *   <li>A key that already had a row (a duplicate of an earlier batch, a key in flight outside a
 *       transaction, an expired lease) goes {@link #process}'s claim path, one message at a time,
 *       each in its own transaction: a completed key with the same payload is {@link
 *       BatchResult.Outcome#DUPLICATE} (the handler does not run), another payload is {@link
 *       BatchResult.Outcome#REJECTED} with {@link IdempotencyKeyMismatchException}; a conflict or
 *       an outage (fail-closed) throws as {@link #process} does, after the batch's transaction
 *       committed: redeliver the batch, whose committed messages are then duplicates. A key in
 *       flight in another consumer's open batch transaction is waited for by the statement, then
 *       decided the same way.
 *   <li>A later delivery of a key already in the batch never runs the handler: with the first
 *       delivery's payload it is {@link BatchResult.Outcome#DUPLICATE}, with another payload {@link
 *       BatchResult.Outcome#REJECTED} (a mismatch); if the first delivery was itself rejected as a
 *       mismatch, the later one is decided against the stored record.
 * </ol>
 *
 * On MariaDB, MySQL, H2 and the day-partitioned PostgreSQL layout there is no one-statement insert
 * (MariaDB's {@code INSERT IGNORE} keeps a lock on each duplicate row until the transaction ends):
 * every key of a batch goes the claim path, one transaction per new message, with the same
 * outcomes.
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
    return claimAndProcess(message, key, fp);
  }

  /** The engine's claim path for one message whose key already has a row (or no insert path). */
  private IdempotencyResult.Status claimAndProcess(
      M message, IdempotencyKey key, RequestFingerprint fp) throws SQLException {
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
   * Processes one poll's messages in one transaction, see "Batches" in the class documentation.
   *
   * @param messages the batch in delivery order (may contain the same key more than once)
   * @return what happened to each message, by its index in {@code messages}
   * @throws SQLException from the handler or the commit of the batch transaction (rolled back, no
   *     key recorded), or from the transaction of a message that went the claim path (the batch
   *     transaction has committed then: redelivered messages of it are replayed)
   */
  public BatchResult processBatch(List<? extends M> messages) throws SQLException {
    Objects.requireNonNull(messages, "messages");
    int n = messages.size();
    BatchResult.Outcome[] outcomes = new BatchResult.Outcome[n];
    RuntimeException[] rejections = new RuntimeException[n];
    IdempotencyKey[] keys = new IdempotencyKey[n];
    RequestFingerprint[] fps = new RequestFingerprint[n];
    // The first delivery of each key in the batch decides; later ones follow it.
    Map<IdempotencyKey, Integer> first = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      M message = Objects.requireNonNull(messages.get(i), "message");
      String clientKey = messageKey.apply(message);
      try {
        if (clientKey == null || clientKey.isEmpty()) {
          throw new InvalidIdempotencyKeyException(
              "clientKey", InvalidIdempotencyKeyException.Reason.EMPTY, 0, 0, -1);
        }
        keys[i] = IdempotencyKey.of(scope, operation, clientKey);
      } catch (InvalidIdempotencyKeyException e) {
        outcomes[i] = BatchResult.Outcome.REJECTED;
        rejections[i] = e;
        continue;
      }
      fps[i] = Objects.requireNonNull(fingerprint.apply(message), "fingerprint returned null");
      first.putIfAbsent(keys[i], i);
    }
    Map<IdempotencyKey, RequestFingerprint> candidates = new LinkedHashMap<>();
    for (Map.Entry<IdempotencyKey, Integer> e : first.entrySet()) {
      candidates.put(e.getKey(), fps[e.getValue()]);
    }
    if (!candidates.isEmpty() && batchInsertSupported()) {
      insertBatch(messages, first, candidates, outcomes);
    }
    for (int i : first.values()) {
      if (outcomes[i] == null) {
        claimOne(messages.get(i), keys[i], fps[i], i, outcomes, rejections);
      }
    }
    for (int i = 0; i < n; i++) {
      if (outcomes[i] != null) {
        continue;
      }
      int leader = first.get(keys[i]);
      BatchResult.Outcome decided = outcomes[leader];
      if (decided == BatchResult.Outcome.PROCESSED || decided == BatchResult.Outcome.DUPLICATE) {
        if (fps[i].equals(fps[leader])) {
          outcomes[i] = BatchResult.Outcome.DUPLICATE;
        } else {
          outcomes[i] = BatchResult.Outcome.REJECTED;
          rejections[i] = new IdempotencyKeyMismatchException(keys[i], RecordState.COMPLETED);
        }
      } else {
        // The first delivery was a mismatch or ran without deduplication: decide on the store.
        claimOne(messages.get(i), keys[i], fps[i], i, outcomes, rejections);
      }
    }
    return new BatchResult(outcomes, rejections);
  }

  /**
   * The batch transaction: one statement inserts every candidate key as completed, the handler runs
   * for each inserted one in delivery order on the same connection, one commit. Keys that already
   * had a row are left undecided for the claim path. A store failure in the statement rolls back
   * and leaves every key to the claim path (whose outage policy decides).
   */
  private void insertBatch(
      List<? extends M> messages,
      Map<IdempotencyKey, Integer> first,
      Map<IdempotencyKey, RequestFingerprint> candidates,
      BatchResult.Outcome[] outcomes)
      throws SQLException {
    Duration retention = idempotency.configFor(operation).getRetention();
    Set<IdempotencyKey> inserted = new HashSet<>();
    inTransaction(
        connection -> {
          try {
            inserted.addAll(
                store
                    .insertCompletedBatchInTransaction(connection, candidates, PROCESSED, retention)
                    .keySet());
          } catch (IdempotencyStoreException e) {
            log.debug(
                "Batch claim of {} keys failed; claiming each through the engine",
                candidates.size(),
                e);
            return false;
          }
          for (IdempotencyKey key : candidates.keySet()) {
            if (inserted.contains(key)) {
              int i = first.get(key);
              handler.handle(messages.get(i), connection);
            }
          }
          return !inserted.isEmpty();
        });
    for (IdempotencyKey key : inserted) {
      outcomes[first.get(key)] = BatchResult.Outcome.PROCESSED;
    }
  }

  private void claimOne(
      M message,
      IdempotencyKey key,
      RequestFingerprint fp,
      int index,
      BatchResult.Outcome[] outcomes,
      RuntimeException[] rejections)
      throws SQLException {
    try {
      IdempotencyResult.Status status = claimAndProcess(message, key, fp);
      outcomes[index] =
          switch (status) {
            case REPLAYED -> BatchResult.Outcome.DUPLICATE;
            case NOT_DEDUPLICATED -> BatchResult.Outcome.NOT_DEDUPLICATED;
            default -> BatchResult.Outcome.PROCESSED;
          };
    } catch (IdempotencyKeyMismatchException e) {
      outcomes[index] = BatchResult.Outcome.REJECTED;
      rejections[index] = e;
    }
  }

  private boolean batchInsertSupported() {
    Boolean supported = insertSupported;
    if (supported == null) {
      try {
        supported = store.supportsInsertCompletedInTransaction();
        insertSupported = supported;
      } catch (IdempotencyStoreException e) {
        return false;
      }
    }
    return supported;
  }

  /**
   * The one-statement path for a new key: inserts the key as completed in the business transaction,
   * runs the handler and commits. False, with the transaction rolled back and nothing written, if
   * the key already has a row, the dialect has no such insert or the insert failed: the engine's
   * claim path then decides (replay, mismatch, in flight, takeover, outage policy).
   */
  private boolean insertCompleted(M message, IdempotencyKey key, RequestFingerprint fp)
      throws SQLException {
    if (!batchInsertSupported()) {
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

  /** What {@link #processBatch} did with each message of a batch, by index. Immutable. */
  public static final class BatchResult {

    /** What happened to one message of a batch. */
    public enum Outcome {
      /** New key: the handler ran and the key was recorded, committed together. */
      PROCESSED,
      /**
       * The key was already recorded, by an earlier batch, or by an earlier message of this batch
       * with the same payload: the handler did not run. Acknowledge it.
       */
      DUPLICATE,
      /**
       * Never succeeds, dead-letter it: the key was recorded (earlier or in this batch) with
       * another payload ({@link IdempotencyKeyMismatchException}), or the key is missing or invalid
       * ({@link InvalidIdempotencyKeyException}); see {@link #rejection}.
       */
      REJECTED,
      /** The store was down under the fail-open outage policy: processed without deduplication. */
      NOT_DEDUPLICATED
    }

    private final Outcome[] outcomes;
    private final RuntimeException[] rejections;

    BatchResult(Outcome[] outcomes, RuntimeException[] rejections) {
      this.outcomes = outcomes;
      this.rejections = rejections;
    }

    /** The number of messages in the batch. */
    public int size() {
      return outcomes.length;
    }

    /** What happened to the message at {@code index}. */
    public Outcome outcome(int index) {
      return outcomes[index];
    }

    /** Why the message at {@code index} was rejected; empty unless it was. */
    public Optional<RuntimeException> rejection(int index) {
      return Optional.ofNullable(rejections[index]);
    }

    /** How many messages had {@code outcome}. */
    public int count(Outcome outcome) {
      int count = 0;
      for (Outcome o : outcomes) {
        if (o == outcome) {
          count++;
        }
      }
      return count;
    }

    @Override
    public String toString() {
      return "BatchResult[processed="
          + count(Outcome.PROCESSED)
          + ", duplicate="
          + count(Outcome.DUPLICATE)
          + ", rejected="
          + count(Outcome.REJECTED)
          + ", notDeduplicated="
          + count(Outcome.NOT_DEDUPLICATED)
          + "]";
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
