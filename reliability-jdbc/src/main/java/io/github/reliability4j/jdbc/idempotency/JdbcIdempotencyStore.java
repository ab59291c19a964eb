package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.core.health.probes.ReachabilityProbe;
import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyRecord;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import io.github.reliability4j.core.idempotency.LeaseLostException;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link IdempotencyStore} in a relational database reached through any {@link DataSource}:
 * PostgreSQL, MariaDB, MySQL or H2, chosen by {@link
 * java.sql.DatabaseMetaData#getDatabaseProductName()}. Every instance of a service points at the
 * same table, so a key is executed once across all of them.
 *
 * <pre>{@code
 * JdbcIdempotencyStore store = JdbcIdempotencyStore.create(dataSource,
 *     JdbcIdempotencyStoreConfig.custom().tableName("payments_idempotency").build());
 * }</pre>
 *
 * <h2>Table</h2>
 *
 * One row per key; the DDL per dialect is in {@link JdbcIdempotencySchema}. The primary key {@code
 * key_hash} is the hex SHA-256 of the length-prefixed (scope, operation, client key), so any key up
 * to {@link IdempotencyKey#ABSOLUTE_MAX_LENGTH} characters per component fits every dialect's index
 * limit; the components are stored beside it for operators. {@code state} is {@code 'P'} (in
 * progress) or {@code 'C'} (completed); {@code expires_at} (epoch milliseconds from the configured
 * {@link Clock}) is the lease end while in progress and the retention end once completed. A row
 * with {@code expires_at <= now} is logically absent. There is no separate lock: the row is the
 * lease, and a lease always ends, so a crashed worker never locks a key for longer than its lease.
 *
 * <h2>SQL algorithm</h2>
 *
 * {@code now} and the fresh owner token (a random UUID) are computed in Java and bound as
 * parameters. All statements run in auto-commit mode on a connection of the store's {@link
 * DataSource} (if the pool hands out connections with auto-commit off, the store commits after each
 * operation, which costs one more round trip).
 *
 * <ol>
 *   <li><b>claim</b> — one statement inserts the row as in progress, or <em>takes over</em> an
 *       existing row iff {@code expires_at <= now} (resetting outcome columns and setting {@code
 *       took_over = (old state = 'P')}), and returns the row as it stands afterwards. The caller
 *       owns the key iff the returned {@code owner_token} is the token it just generated; otherwise
 *       the returned (live) row decides between mismatch (fingerprint differs), completed (replay)
 *       and in progress. Per dialect:
 *       <ul>
 *         <li>PostgreSQL: {@code WITH claimed AS (INSERT ... ON CONFLICT (key_hash) DO UPDATE SET
 *             ... WHERE r.expires_at <= EXCLUDED.created_at RETURNING ...) SELECT ... FROM claimed
 *             UNION ALL SELECT ... FROM t WHERE key_hash = ? AND NOT EXISTS (SELECT 1 FROM
 *             claimed)}. A duplicate causes no write. The second branch reads the statement's
 *             snapshot, which can be older than the row version the {@code ON CONFLICT} check saw
 *             under lock (a concurrent transaction committed while this claim waited): then it
 *             returns nothing, or a version that is already expired although the takeover was
 *             declined. Only in that case a plain {@code SELECT} follows (two round trips, in a
 *             race only); the store never decides on such a stale row.
 *         <li>MariaDB 10.5+: {@code INSERT ... ON DUPLICATE KEY UPDATE c = IF(expires_at <=
 *             VALUES(created_at), VALUES(c), c), ..., expires_at = IF(...) RETURNING ...}: MariaDB
 *             evaluates assignments left to right, so {@code expires_at} is assigned last and every
 *             condition reads the old value; {@code RETURNING} yields the row as it stands, new or
 *             existing.
 *         <li>MySQL 8: the same upsert without {@code RETURNING}, then a {@code SELECT} (two round
 *             trips; MySQL has no {@code RETURNING}).
 *         <li>H2: {@code SELECT ... FROM FINAL TABLE (MERGE INTO t USING (VALUES ...) ... WHEN NOT
 *             MATCHED THEN INSERT ... WHEN MATCHED THEN UPDATE SET c = CASE WHEN expired THEN new
 *             ELSE c END ...)}.
 *       </ul>
 *       Two claims of the same new key serialize on the primary key (the second waits for the
 *       first's row lock, then sees its row); a deadlock or unique-violation race is retried up to
 *       three times.
 *   <li><b>complete</b> — {@code UPDATE t SET state = 'C', expires_at = now + retention,
 *       result_code = ?, metadata = ?, body = ? WHERE key_hash = ? AND owner_token = ? AND state =
 *       'P' AND expires_at > now}; one update count tells whether the caller still owned a live
 *       lease. The size limits are checked before the statement is sent.
 *   <li><b>release</b> — {@code DELETE FROM t WHERE key_hash = ? AND owner_token = ? AND state =
 *       'P' AND expires_at > now}.
 *   <li><b>renew</b> — {@code UPDATE t SET expires_at = now + lease WHERE key_hash = ? AND
 *       owner_token = ? AND state = 'P' AND expires_at > now}.
 *   <li><b>find</b> — {@code SELECT ... FROM t WHERE key_hash = ?}; an expired row is reported as
 *       absent.
 *   <li><b>purge</b> — bounded batches, each its own short auto-commit statement over the {@code
 *       expires_at} index: PostgreSQL {@code DELETE ... WHERE key_hash = ANY(ARRAY(SELECT key_hash
 *       ... WHERE expires_at <= now ORDER BY expires_at LIMIT n FOR UPDATE SKIP LOCKED)) AND
 *       expires_at <= now}; MariaDB/MySQL {@code DELETE ... WHERE expires_at <= now ORDER BY
 *       expires_at LIMIT n}; H2 {@code DELETE ... WHERE expires_at <= now FETCH FIRST n ROWS ONLY}.
 *       The repeated {@code expires_at <= now} means a row claimed again between selection and
 *       deletion is kept.
 * </ol>
 *
 * Because complete, release and renew compare the owner token (a fencing token) and the lease in
 * the same statement that changes the row, a worker whose lease expired or was taken over cannot
 * overwrite or delete the new owner's record.
 *
 * <h2>Transactional mode</h2>
 *
 * When the business data lives in the same database, {@link #completeInTransaction} writes the
 * completion on the caller's own {@link Connection}, inside its open transaction, without
 * committing: the business write and the completion commit together or not at all. This closes the
 * gap "the business write committed, the process died before the key was marked complete, the retry
 * executed again". Use it whenever the action's effect is a write to the same database; it does not
 * help for effects elsewhere (a payment API call, a message). The claim itself is committed at once
 * by {@link #claim} (it must be visible to other instances while the action runs). If the
 * transaction rolls back or its connection dies before commit, nothing of it is stored and the key
 * stays in progress under the caller's lease: a live caller should {@link #release} it (the retry
 * can then run at once), a dead one's lease simply expires. While the transaction is open it holds
 * the row lock, so a takeover attempt waits for its outcome instead of racing it. With the engine's
 * lower-level API:
 *
 * <pre>{@code
 * try (IdempotentExecution exec = idempotency.begin(key, fingerprint)) {
 *   if (exec.kind() == IdempotentExecution.Kind.REPLAY) {
 *     return exec.replayedOutcome().orElseThrow();
 *   }
 *   try (Connection c = dataSource.getConnection()) {
 *     c.setAutoCommit(false);
 *     StoredOutcome outcome = placeOrder(c);                      // the business write
 *     store.completeInTransactionOrThrow(c, key, exec.ownerToken().orElseThrow(),
 *         outcome, exec.config().getRetention());                 // LeaseLostException: roll back
 *     c.commit();
 *     exec.markCompletedExternally();
 *     return outcome;
 *   }
 * } // an exception before commit: the transaction rolls back and close() releases the key
 * }</pre>
 *
 * <h2>Retention</h2>
 *
 * {@link #purgeExpired()} deletes expired rows in batches of {@link
 * JdbcIdempotencyStoreConfig#getPurgeBatchSize()} rows, at most {@link
 * JdbcIdempotencyStoreConfig#getPurgeMaxBatches()} batches per call; run it periodically with
 * {@link IdempotencyPurgeScheduler}. Each batch is a short transaction found through the {@code
 * expires_at} index, so it neither scans the table nor holds locks for long. For very high volumes
 * on PostgreSQL, {@link JdbcIdempotencySchema#POSTGRESQL_PARTITIONED} is a layout with one
 * partition per UTC day of the claim ({@link JdbcIdempotencyStoreConfig.Builder#partitionedByDay});
 * {@link #maintainPartitions()} then detaches and drops whole days whose rows have all expired
 * instead of deleting rows. Because PostgreSQL cannot enforce uniqueness of {@code key_hash} alone
 * across partitions, that layout claims through a PL/pgSQL function shipped in the DDL (still one
 * round trip) that serializes claims of one key with {@code pg_advisory_xact_lock} and moves a
 * taken-over key into today's partition; complete, release, renew and find probe each partition's
 * primary-key index. Prefer the plain layout until deleting expired rows is measurably too
 * expensive.
 *
 * <h2>Errors</h2>
 *
 * <ul>
 *   <li>Database unreachable, pool exhausted, statement timeout ({@link
 *       JdbcIdempotencyStoreConfig#getQueryTimeout()}), any other {@link SQLException}: {@link
 *       IdempotencyStoreException} with the SQLState and the driver's exception as cause, so the
 *       engine applies the operation's outage policy. A claim whose outcome is unknown (the
 *       connection died after the statement was sent) may have created an in-progress row: its
 *       lease expires, so no key is locked forever.
 *   <li>Table or column missing: {@link IdempotencyTableMissingException} naming the table and the
 *       DDL resource (checked eagerly by {@link #create} when the database is reachable).
 *   <li>Database product without a dialect: {@link UnsupportedDatabaseException} naming the product
 *       and the supported ones.
 *   <li>Outcome over the size limit: {@link OutcomeTooLargeException}, nothing written.
 * </ul>
 *
 * <h2>Thread-safety and guarantees</h2>
 *
 * Thread-safe; every call borrows a connection from the {@link DataSource} and returns it before
 * returning. No callbacks. <em>Not guaranteed:</em> leases are decided by the clocks of the
 * instances sharing the table ({@code now} is computed in Java so tests can move time), so clock
 * skew between instances shortens or lengthens leases by the skew; keep leases far longer than the
 * skew.
 */
public final class JdbcIdempotencyStore implements IdempotencyStore {

  private static final Logger log = LoggerFactory.getLogger(JdbcIdempotencyStore.class);

  private static final int CLAIM_ATTEMPTS = 3;

  private final DataSource dataSource;
  private final JdbcIdempotencyStoreConfig config;
  private final Clock clock;
  private final String table;
  private final Object resolveLock = new Object();
  private volatile Dialect dialect;

  private JdbcIdempotencyStore(DataSource dataSource, JdbcIdempotencyStoreConfig config) {
    this.dataSource = dataSource;
    this.config = config;
    this.clock = config.getClock();
    this.table = config.getTableName();
  }

  /** A store on {@code dataSource} with {@link JdbcIdempotencyStoreConfig#ofDefaults()}. */
  public static JdbcIdempotencyStore create(DataSource dataSource) {
    return create(dataSource, JdbcIdempotencyStoreConfig.ofDefaults());
  }

  /**
   * A store on {@code dataSource}. If the database is reachable, detects the dialect, applies the
   * schema when {@link JdbcIdempotencyStoreConfig#isInitializeSchema()} is set, and checks the
   * table. If it is not reachable, logs a warning and does all of that on first use, so an
   * application can start while its database is down.
   *
   * @throws UnsupportedDatabaseException if the database product has no dialect
   * @throws IdempotencyTableMissingException if the table does not exist
   */
  public static JdbcIdempotencyStore create(
      DataSource dataSource, JdbcIdempotencyStoreConfig config) {
    Objects.requireNonNull(dataSource, "dataSource");
    Objects.requireNonNull(config, "config");
    JdbcIdempotencyStore store = new JdbcIdempotencyStore(dataSource, config);
    Connection c;
    try {
      c = dataSource.getConnection();
    } catch (SQLException e) {
      log.warn(
          "Idempotency database unreachable at start ({}); dialect and table '{}' will be checked"
              + " on first use",
          e.toString(),
          config.getTableName());
      return store;
    }
    try (c) {
      Dialect d = store.dialect(c);
      d.ping(c);
      commitIfNeeded(c);
    } catch (SQLException e) {
      throw store.translate("create", e);
    }
    return store;
  }

  @Override
  public ClaimResult claim(
      IdempotencyKey key, RequestFingerprint fingerprint, Duration leaseDuration) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fingerprint, "fingerprint");
    requirePositive("leaseDuration", leaseDuration);
    String keyHash = hash(key);
    String token = UUID.randomUUID().toString();
    try (Connection c = dataSource.getConnection()) {
      Dialect d = dialect(c);
      for (int attempt = 1; ; attempt++) {
        long now = clock.millis();
        Dialect.ClaimParams params =
            new Dialect.ClaimParams(
                keyHash,
                key.scope(),
                key.operation(),
                key.clientKey(),
                token,
                fingerprint.hex(),
                now,
                plus(now, leaseDuration));
        StoredRow row;
        try {
          row = d.claim(c, params);
          if (row != null && !token.equals(row.ownerToken()) && row.isExpiredAt(now)) {
            // The statement declined the takeover, so the row it saw under lock was live; an
            // expired row here is an older version from the statement's snapshot (PostgreSQL,
            // when a concurrent transaction committed while this claim waited for its row lock).
            row = d.find(c, keyHash);
            if (row != null && row.isExpiredAt(now)) {
              row = null;
            }
          }
          commitIfNeeded(c);
        } catch (SQLException e) {
          rollbackQuietly(c);
          if (attempt < CLAIM_ATTEMPTS && d.isRetryableRace(e)) {
            continue;
          }
          throw e;
        }
        if (row == null) {
          if (attempt < CLAIM_ATTEMPTS) {
            continue;
          }
          throw new IdempotencyStoreException(
              "claim of "
                  + key
                  + " in table '"
                  + table
                  + "' found the key taken and deleted again "
                  + CLAIM_ATTEMPTS
                  + " times in a row; retry");
        }
        return toClaimResult(row, token, fingerprint, now);
      }
    } catch (SQLException e) {
      throw translate("claim", e);
    }
  }

  private static ClaimResult toClaimResult(
      StoredRow row, String token, RequestFingerprint fingerprint, long now) {
    if (token.equals(row.ownerToken()) && !row.completed()) {
      return new ClaimResult.Acquired(
          token, Instant.ofEpochMilli(row.expiresAtMillis()), row.tookOver());
    }
    if (!fingerprint.hex().equalsIgnoreCase(row.fingerprint())) {
      return new ClaimResult.Mismatch(
          row.completed() ? RecordState.COMPLETED : RecordState.IN_PROGRESS);
    }
    if (row.completed()) {
      return new ClaimResult.Completed(outcome(row), Instant.ofEpochMilli(row.expiresAtMillis()));
    }
    return new ClaimResult.InProgress(Instant.ofEpochMilli(row.expiresAtMillis()));
  }

  @Override
  public boolean complete(
      IdempotencyKey key, String ownerToken, StoredOutcome outcome, Duration retention) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ownerToken, "ownerToken");
    Objects.requireNonNull(outcome, "outcome");
    requirePositive("retention", retention);
    byte[] metadata = encodeChecked(outcome);
    try (Connection c = dataSource.getConnection()) {
      boolean done = completeOn(dialect(c), c, key, ownerToken, outcome, metadata, retention);
      commitIfNeeded(c);
      return done;
    } catch (SQLException e) {
      throw translate("complete", e);
    }
  }

  /**
   * Transactional mode: marks the caller's claim completed on {@code connection}, inside the
   * caller's open transaction, without committing. The completion becomes visible when the caller
   * commits and disappears if it rolls back, so it commits or rolls back together with the business
   * write made on the same connection. The statement holds the record's row lock until the
   * transaction ends.
   *
   * <p>{@code connection} must belong to the database and schema holding the table, and should have
   * auto-commit off (with auto-commit on this is an ordinary {@link #complete}). If this returns
   * {@code false} the caller has lost its lease (nothing changed) and should roll back: another
   * worker may be executing the same key. {@link #completeInTransactionOrThrow} does that check for
   * you.
   *
   * @return true if the completion is written (pending the caller's commit)
   * @throws OutcomeTooLargeException if the outcome exceeds the size limits (nothing written)
   * @throws IdempotencyStoreException if the statement fails
   */
  public boolean completeInTransaction(
      Connection connection,
      IdempotencyKey key,
      String ownerToken,
      StoredOutcome outcome,
      Duration retention) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ownerToken, "ownerToken");
    Objects.requireNonNull(outcome, "outcome");
    requirePositive("retention", retention);
    byte[] metadata = encodeChecked(outcome);
    try {
      Dialect d = dialect != null ? dialect : resolveOnOwnConnection();
      return completeOn(d, connection, key, ownerToken, outcome, metadata, retention);
    } catch (SQLException e) {
      throw translate("completeInTransaction", e);
    }
  }

  /**
   * Like {@link #completeInTransaction} but throws {@link LeaseLostException} when the caller no
   * longer owns a live lease, so an enclosing transaction template rolls the business write back.
   */
  public void completeInTransactionOrThrow(
      Connection connection,
      IdempotencyKey key,
      String ownerToken,
      StoredOutcome outcome,
      Duration retention) {
    if (!completeInTransaction(connection, key, ownerToken, outcome, retention)) {
      throw new LeaseLostException(key, ownerToken);
    }
  }

  /**
   * Transactional mode for a new key, in one statement: inserts {@code key} directly as completed
   * with {@code outcome} on {@code connection}, inside the caller's open transaction, without
   * committing. For callers that know the outcome before the business write (a message listener
   * records "processed") and put the business write in the same transaction: claim and completion
   * then cost one round trip instead of a committed claim plus a completion.
   *
   * <p>Until the caller commits, the row is invisible and another transaction or claim of the same
   * key waits for the caller's transaction on the primary key (bounded by the store's query
   * timeout), then replays the committed record or, after a rollback, claims the key itself: an
   * in-flight duplicate is never executed twice, and nothing stays locked past the caller's
   * transaction. The caller must make its transaction roll back (or {@link #deleteInTransaction
   * delete} the row) when the business write fails, because the row already says completed.
   *
   * <p>Returns empty, with nothing written, if the key already has a row (live, completed or
   * expired: use {@link #claim} and {@link #completeInTransaction}, which decide replay, mismatch,
   * in progress and takeover) and, without a round trip, if the dialect has no insert that skips a
   * committed row without locking it (PostgreSQL has; MariaDB's {@code INSERT IGNORE} keeps a
   * shared lock on the duplicate until the caller's transaction ends, and the day-partitioned
   * layout has no unique index on the key alone, so those always return empty).
   *
   * @return the owner token of the inserted row (for {@link #deleteInTransaction}), or empty
   * @throws OutcomeTooLargeException if the outcome exceeds the size limits (nothing written)
   * @throws IdempotencyStoreException if the statement fails; the caller's transaction is then
   *     aborted on PostgreSQL
   */
  public Optional<String> insertCompletedInTransaction(
      Connection connection,
      IdempotencyKey key,
      RequestFingerprint fingerprint,
      StoredOutcome outcome,
      Duration retention) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(outcome, "outcome");
    requirePositive("retention", retention);
    byte[] metadata = encodeChecked(outcome);
    String token = UUID.randomUUID().toString();
    try {
      Dialect d = dialect != null ? dialect : resolveOnOwnConnection();
      long now = clock.millis();
      Dialect.ClaimParams params =
          new Dialect.ClaimParams(
              hash(key),
              key.scope(),
              key.operation(),
              key.clientKey(),
              token,
              fingerprint.hex(),
              now,
              plus(now, retention));
      int inserted =
          d.insertCompleted(
              connection,
              params,
              outcome.status(),
              metadata,
              outcome.bodyLength() == 0 ? null : outcome.body());
      return inserted == 1 ? Optional.of(token) : Optional.empty();
    } catch (SQLException e) {
      throw translate("insertCompletedInTransaction", e);
    }
  }

  /**
   * Whether {@link #insertCompletedInTransaction} can insert on this store's database (PostgreSQL,
   * plain layout); when false it always returns empty. Resolves the dialect on a connection of the
   * store the first time.
   *
   * @throws IdempotencyStoreException if the dialect is not known yet and the database is
   *     unreachable
   */
  public boolean supportsInsertCompletedInTransaction() {
    try {
      Dialect d = dialect != null ? dialect : resolveOnOwnConnection();
      return d.supportsInsertCompleted();
    } catch (SQLException e) {
      throw translate("supportsInsertCompletedInTransaction", e);
    }
  }

  /**
   * Deletes, on {@code connection} inside the caller's transaction, the row that {@link
   * #insertCompletedInTransaction} inserted with {@code ownerToken}: for a caller whose business
   * write failed but whose transaction commits anyway.
   *
   * @return true if the row was deleted
   * @throws IdempotencyStoreException if the statement fails
   */
  public boolean deleteInTransaction(Connection connection, IdempotencyKey key, String ownerToken) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ownerToken, "ownerToken");
    try {
      Dialect d = dialect != null ? dialect : resolveOnOwnConnection();
      return d.deleteOwned(connection, hash(key), ownerToken) == 1;
    } catch (SQLException e) {
      throw translate("deleteInTransaction", e);
    }
  }

  private boolean completeOn(
      Dialect d,
      Connection c,
      IdempotencyKey key,
      String ownerToken,
      StoredOutcome outcome,
      byte[] metadata,
      Duration retention)
      throws SQLException {
    long now = clock.millis();
    return d.complete(
            c,
            hash(key),
            ownerToken,
            now,
            plus(now, retention),
            outcome.status(),
            metadata,
            outcome.bodyLength() == 0 ? null : outcome.body())
        == 1;
  }

  @Override
  public boolean release(IdempotencyKey key, String ownerToken) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ownerToken, "ownerToken");
    try (Connection c = dataSource.getConnection()) {
      boolean done = dialect(c).release(c, hash(key), ownerToken, clock.millis()) == 1;
      commitIfNeeded(c);
      return done;
    } catch (SQLException e) {
      throw translate("release", e);
    }
  }

  @Override
  public Optional<Instant> renew(IdempotencyKey key, String ownerToken, Duration leaseDuration) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ownerToken, "ownerToken");
    requirePositive("leaseDuration", leaseDuration);
    try (Connection c = dataSource.getConnection()) {
      long now = clock.millis();
      long expiry = plus(now, leaseDuration);
      boolean done = dialect(c).renew(c, hash(key), ownerToken, now, expiry) == 1;
      commitIfNeeded(c);
      return done ? Optional.of(Instant.ofEpochMilli(expiry)) : Optional.empty();
    } catch (SQLException e) {
      throw translate("renew", e);
    }
  }

  @Override
  public Optional<IdempotencyRecord> find(IdempotencyKey key) {
    Objects.requireNonNull(key, "key");
    try (Connection c = dataSource.getConnection()) {
      StoredRow row = dialect(c).find(c, hash(key));
      commitIfNeeded(c);
      if (row == null || row.isExpiredAt(clock.millis())) {
        return Optional.empty();
      }
      return Optional.of(
          new IdempotencyRecord(
              key,
              RequestFingerprint.fromHex(row.fingerprint()),
              row.completed() ? RecordState.COMPLETED : RecordState.IN_PROGRESS,
              row.completed() ? null : row.ownerToken(),
              Instant.ofEpochMilli(row.expiresAtMillis()),
              row.completed() ? outcome(row) : null));
    } catch (SQLException e) {
      throw translate("find", e);
    }
  }

  /**
   * Deletes expired records (in progress with an expired lease, or completed past retention) in
   * batches of {@link JdbcIdempotencyStoreConfig#getPurgeBatchSize()}, each committed on its own,
   * until a batch comes back short or {@link JdbcIdempotencyStoreConfig#getPurgeMaxBatches()}
   * batches ran. Live records are never deleted. Safe to run concurrently from several instances
   * (on PostgreSQL they skip each other's locked rows).
   *
   * @return the number of rows deleted
   * @throws IdempotencyStoreException if a batch fails; earlier batches stay deleted
   */
  public long purgeExpired() {
    long total = 0;
    try (Connection c = dataSource.getConnection()) {
      Dialect d = dialect(c);
      int batchSize = config.getPurgeBatchSize();
      for (int batch = 0; batch < config.getPurgeMaxBatches(); batch++) {
        int deleted = d.purgeBatch(c, clock.millis(), batchSize);
        commitIfNeeded(c);
        total += deleted;
        if (deleted < batchSize) {
          break;
        }
      }
      return total;
    } catch (SQLException e) {
      throw translate("purgeExpired (after deleting " + total + " rows)", e);
    }
  }

  /**
   * Partition-per-day layout ({@link JdbcIdempotencyStoreConfig#isPartitionedByDay()}): creates the
   * day partitions from yesterday to {@link JdbcIdempotencyStoreConfig#getPartitionsAhead()} days
   * ahead, and detaches and drops every day partition at least two days old whose rows have all
   * expired. Dropping a day replaces deleting its rows one by one: no dead tuples, no vacuum debt,
   * no row locks. Run it at least daily ({@link IdempotencyPurgeScheduler} does, for a partitioned
   * store). Each DDL statement commits on its own; on PostgreSQL 14+ the detach is {@code
   * CONCURRENTLY} and does not block claims.
   *
   * @throws IllegalStateException if the store does not use the partitioned layout
   * @throws IdempotencyStoreException if a statement fails
   */
  public PartitionMaintenance maintainPartitions() {
    if (!config.isPartitionedByDay()) {
      throw new IllegalStateException(
          "maintainPartitions() needs partitionedByDay(true); this store deletes expired rows"
              + " with purgeExpired()");
    }
    try (Connection c = dataSource.getConnection()) {
      dialect(c);
      if (!c.getAutoCommit()) {
        c.setAutoCommit(true); // DETACH ... CONCURRENTLY cannot run inside a transaction
      }
      return DayPartitions.maintain(
          c, table, config.unqualifiedTableName(), clock, config.getPartitionsAhead());
    } catch (SQLException e) {
      throw translate("maintainPartitions", e);
    }
  }

  /**
   * Health hook: runs one indexed query against the table on a connection from the pool and returns
   * how long it took (borrowing the connection included).
   *
   * @return the observed round-trip latency
   * @throws IdempotencyStoreException if the database is unreachable, times out or the table is
   *     missing
   */
  public Duration ping() {
    long start = System.nanoTime();
    try (Connection c = dataSource.getConnection()) {
      dialect(c).ping(c);
      commitIfNeeded(c);
    } catch (SQLException e) {
      throw translate("ping", e);
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /**
   * Health hook implementing the core health SPI's {@code ReachabilityCheck} shape (used by {@link
   * #healthProbe()}): one indexed query against the table, with {@code timeout} (rounded up to
   * whole seconds) as its query timeout. Borrowing the connection is bounded by the pool's own
   * timeout, not by {@code timeout}; give the pool a connection timeout no longer than the probe
   * deadline.
   *
   * @return true when the store answered
   * @throws IdempotencyStoreException if the database is unreachable, times out or the table is
   *     missing; the message names the table and the SQLState
   */
  public boolean ping(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    int seconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (timeout.toMillis() + 999) / 1000));
    try (Connection c = dataSource.getConnection()) {
      dialect(c).ping(c, seconds);
      commitIfNeeded(c);
      return true;
    } catch (SQLException e) {
      throw translate("ping", e);
    }
  }

  /**
   * A health probe reporting this store's reachability and latency through {@link #ping(Duration)}
   * (observed value in ms, measurement {@code responseTime}): PASS when the indexed query answers,
   * and a thrown {@link IdempotencyStoreException} (the evaluator reports FAIL with its message,
   * which names the table and SQLState) when the database is unreachable, times out or the table is
   * missing. Register it for readiness, not liveness:
   *
   * <pre>{@code
   * checker.probe(ProbeRegistration.builder("idempotency-store", store.healthProbe())
   *     .componentType("datastore").measurement("responseTime").build());
   * }</pre>
   *
   * For WARN/FAIL latency thresholds use {@code ReachabilityProbe.builder(store::ping)
   * .warnAbove(...).failAbove(...).build()} instead.
   */
  public ReachabilityProbe healthProbe() {
    return ReachabilityProbe.of(this::ping);
  }

  /** The configured table name. */
  public String getTableName() {
    return table;
  }

  /** The configuration. */
  public JdbcIdempotencyStoreConfig getConfig() {
    return config;
  }

  /**
   * The dialect's name ("PostgreSQL", "MariaDB", "MySQL", "H2"), or empty if the database has not
   * been reached yet.
   */
  public Optional<String> getDialectName() {
    Dialect d = dialect;
    return d == null ? Optional.empty() : Optional.of(d.name());
  }

  @Override
  public String toString() {
    Dialect d = dialect;
    return "JdbcIdempotencyStore[table="
        + table
        + ", dialect="
        + (d == null ? "unresolved" : d.name())
        + "]";
  }

  /** Never on a caller's connection: the schema initializer commits. */
  private Dialect resolveOnOwnConnection() throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      Dialect d = dialect(c);
      commitIfNeeded(c);
      return d;
    }
  }

  private Dialect dialect(Connection c) throws SQLException {
    Dialect d = dialect;
    if (d != null) {
      return d;
    }
    synchronized (resolveLock) {
      if (dialect == null) {
        Dialect detected = JdbcIdempotencySchema.detect(c, table, config.isPartitionedByDay());
        long timeout = config.getQueryTimeout().toMillis();
        detected.withQueryTimeout((int) Math.min(Integer.MAX_VALUE, (timeout + 999) / 1000));
        if (config.isInitializeSchema()) {
          JdbcIdempotencySchema.apply(
              c, JdbcIdempotencySchema.RESOURCE_DIRECTORY + detected.schemaResource(), table);
          if (config.isPartitionedByDay()) {
            commitIfNeeded(c);
            DayPartitions.maintain(
                c, table, config.unqualifiedTableName(), clock, config.getPartitionsAhead());
          }
          log.info("Applied idempotency schema for table '{}' ({})", table, detected.name());
        }
        dialect = detected;
      }
      return dialect;
    }
  }

  private byte[] encodeChecked(StoredOutcome outcome) {
    if (outcome.bodyLength() > config.getMaxBodyBytes()) {
      throw new OutcomeTooLargeException(
          "body", outcome.bodyLength(), config.getMaxBodyBytes(), "maxBodyBytes");
    }
    byte[] metadata = MetadataCodec.encode(outcome.metadata());
    int size = metadata == null ? 0 : metadata.length;
    if (size > config.getMaxMetadataBytes()) {
      throw new OutcomeTooLargeException(
          "metadata", size, config.getMaxMetadataBytes(), "maxMetadataBytes");
    }
    return metadata;
  }

  private static StoredOutcome outcome(StoredRow row) {
    byte[] body = row.body() == null ? new byte[0] : row.body();
    int status = row.resultCode() == null ? 0 : row.resultCode();
    return StoredOutcome.of(status, MetadataCodec.decode(row.metadata()), body);
  }

  private IdempotencyStoreException translate(String operation, SQLException e) {
    Dialect d = dialect;
    if (config.isPartitionedByDay() && "23514".equals(e.getSQLState())) {
      return new IdempotencyStoreException(
          "idempotency store "
              + operation
              + " failed on table '"
              + table
              + "': no day partition for the claim's day; run maintainPartitions() at least daily"
              + " (IdempotencyPurgeScheduler does) ("
              + e.getMessage()
              + ")",
          e);
    }
    if (d != null && d.isMissingTable(e)) {
      return new IdempotencyTableMissingException(
          table, d.name(), JdbcIdempotencySchema.RESOURCE_DIRECTORY + d.schemaResource(), e);
    }
    return new IdempotencyStoreException(
        "idempotency store "
            + operation
            + " failed on table '"
            + table
            + "' ("
            + (d == null ? "database not yet identified" : d.name())
            + ", SQLState "
            + e.getSQLState()
            + "): "
            + e.getMessage(),
        e);
  }

  private static String hash(IdempotencyKey key) {
    return KeyHash.of(key.scope(), key.operation(), key.clientKey());
  }

  private static long plus(long nowMillis, Duration d) {
    long millis = d.toMillis();
    return millis > Long.MAX_VALUE - nowMillis ? Long.MAX_VALUE : nowMillis + millis;
  }

  private static void requirePositive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero() || d.toMillis() == 0) {
      throw new IllegalArgumentException(name + " must be at least 1ms, but was " + d);
    }
  }

  private static void commitIfNeeded(Connection c) throws SQLException {
    if (!c.getAutoCommit()) {
      c.commit();
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      if (!c.getAutoCommit()) {
        c.rollback();
      }
    } catch (SQLException ignored) {
      // The connection is broken; the pool discards it.
    }
  }
}
