package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.core.health.probes.ReachabilityProbe;
import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyRecord;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import io.github.reliability4j.core.idempotency.IdempotencyStoreTimeoutException;
import io.github.reliability4j.core.idempotency.LeaseLostException;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
 * key_hash} is the SHA-256 of the length-prefixed (scope, operation, client key) — the digest of
 * {@link RequestFingerprint#ofParts RequestFingerprint.ofParts(scope, operation, clientKey)} — so
 * any key up to {@link IdempotencyKey#ABSOLUTE_MAX_LENGTH} characters per component fits every
 * dialect's index limit; the components are stored beside it for operators. {@code state} is {@code
 * 'P'} (in progress) or {@code 'C'} (completed); {@code expires_at} (epoch milliseconds from the
 * configured {@link Clock}) is the lease end while in progress and the retention end once
 * completed. A row with {@code expires_at <= now} is logically absent. There is no separate lock:
 * the row is the lease, and a lease always ends, so a crashed worker never locks a key for longer
 * than its lease.
 *
 * <p><b>Row formats.</b> A table created by this version's DDL ({@code RowFormat} 2) stores {@code
 * key_hash} and {@code fingerprint} as 32 raw bytes ({@code BYTEA} / {@code BINARY(32)}) and has a
 * separate indexed purge key {@code purge_at}, fixed at claim time to lease end plus the retention
 * the engine will complete with ({@link #claim(IdempotencyKey, RequestFingerprint, Duration,
 * Duration)}), only ever moved forward, always at or after {@code expires_at}. Completing a record
 * then changes no indexed column (on PostgreSQL a HOT update; the DDL leaves 10% of each page free
 * for it). A table created by 0.1.0 (hex {@code CHAR(64)} key and fingerprint, {@code expires_at}
 * indexed) is detected from its columns when the store first reaches it and keeps being read and
 * written in that format — a table is never written in a format it was not created with. The
 * optional scripts {@code migrate-0.1-to-0.2-postgresql.sql} / {@code -mariadb.sql} / {@code
 * -mysql.sql} beside the DDL convert such a table in place (the digests are decoded from hex, so
 * every row keeps matching its key and fingerprint). The partition-per-day layout keeps the 0.1.0
 * format. On PostgreSQL the DDL puts the columns a completion never changes first: a same-page
 * update is logged without the new row version's unchanged leading bytes, so the completion's WAL
 * holds only what it changed; the store names every column, so a table with another column order
 * works the same (the optional {@code migrate-0.2-column-order-postgresql.sql} rewrites one). Owner
 * tokens are 128 random bits as 22 base64url characters.
 *
 * <h2>SQL algorithm</h2>
 *
 * {@code now} and the fresh owner token (128 random bits) are computed in Java and bound as
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
 *       and in progress. Per dialect (each dialect class holds its SQL next to this description in
 *       more detail; {@code JdbcIdempotencyStoreSqlDocTest} checks that the fragments quoted here
 *       are in the SQL the store runs):
 *       <ul>
 *         <li>PostgreSQL: {@code WITH live AS (SELECT ... FROM t WHERE t.key_hash = ? AND
 *             t.expires_at > ?), claimed AS (INSERT INTO t AS r (...) SELECT ... WHERE NOT EXISTS
 *             (SELECT 1 FROM live) ON CONFLICT (key_hash) DO UPDATE SET ... WHERE r.expires_at <=
 *             EXCLUDED.created_at RETURNING ...) SELECT ... FROM claimed UNION ALL SELECT ... FROM
 *             live}; unless {@link JdbcIdempotencyStoreConfig.Builder#durableClaims durableClaims},
 *             the insert's condition also calls {@code set_config('synchronous_commit', 'off',
 *             true)}, so the claim's commit does not wait for a WAL flush (why that is safe is
 *             argued there). The first CTE reads the live row, so a duplicate is a plain index read
 *             that writes nothing; only without a live row does the insert (or takeover of an
 *             expired row) run. A row committed by a concurrent claim after the statement's
 *             snapshot meets the {@code ON CONFLICT} clause and nothing is returned: then a plain
 *             {@code SELECT} follows (two round trips, in that race only). If it returns a version
 *             that is already expired although the takeover was declined, the store reads again; it
 *             never decides on such a stale row.
 *         <li>PostgreSQL, partition-per-day layout: {@code SELECT ... FROM t_claim(?, ...)}, a
 *             PL/pgSQL function shipped in the DDL (see Retention below).
 *         <li>MariaDB 10.5+: {@code INSERT ... ON DUPLICATE KEY UPDATE c = IF(expires_at <=
 *             VALUES(created_at), VALUES(c), c), ..., expires_at = IF(...) RETURNING ...}: MariaDB
 *             evaluates assignments left to right, so {@code expires_at} is assigned last and every
 *             condition reads the old value; {@code RETURNING} yields the row as it stands, new or
 *             existing.
 *         <li>MySQL 8: the same upsert without {@code RETURNING}, then a {@code SELECT} (two round
 *             trips; MySQL has no {@code RETURNING}).
 *         <li>H2: {@code SELECT ... FROM FINAL TABLE (MERGE INTO t r USING (VALUES ...) ... WHEN
 *             NOT MATCHED THEN INSERT ... WHEN MATCHED THEN UPDATE SET c = CASE WHEN expired THEN
 *             new ELSE c END ...)}.
 *       </ul>
 *       Two claims of the same new key serialize on the primary key (the second waits for the
 *       first's row lock, then sees its row); a deadlock or unique-violation race is retried up to
 *       three times.
 *   <li><b>complete</b> — {@code UPDATE t SET state = 'C', expires_at = now + retention, purge_at =
 *       GREATEST(purge_at, now + retention), result_code = ?, metadata = ?, body = ? WHERE key_hash
 *       = ? AND owner_token = ? AND state = 'P' AND expires_at > now} (0.1.0 format: without {@code
 *       purge_at}); one update count tells whether the caller still owned a live lease. The size
 *       limits are checked before the statement is sent.
 *   <li><b>release</b> — {@code DELETE FROM t WHERE key_hash = ? AND owner_token = ? AND state =
 *       'P' AND expires_at > now}.
 *   <li><b>renew</b> — {@code UPDATE t SET expires_at = now + lease, purge_at = GREATEST(purge_at,
 *       now + lease) WHERE key_hash = ? AND owner_token = ? AND state = 'P' AND expires_at > now}
 *       (0.1.0 format: without {@code purge_at}).
 *   <li><b>find</b> — {@code SELECT ... FROM t WHERE key_hash = ?}; an expired row is reported as
 *       absent.
 *   <li><b>purge</b> — bounded batches, each its own short auto-commit statement over the purge
 *       index, {@code purge_at} (0.1.0 format: {@code expires_at}, written {@code p} below):
 *       PostgreSQL {@code DELETE ... WHERE key_hash = ANY(ARRAY(SELECT key_hash ... WHERE p <= now
 *       ORDER BY p LIMIT n FOR UPDATE SKIP LOCKED)) AND p <= now}; MariaDB/MySQL {@code DELETE ...
 *       WHERE p <= now ORDER BY p LIMIT n}; H2 {@code DELETE ... WHERE p <= now FETCH FIRST n ROWS
 *       ONLY}. The repeated {@code p <= now} means a row claimed again between selection and
 *       deletion is kept; {@code purge_at >= expires_at} means a live row is never deleted.
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
 *   <li>A call of the bounded view ({@link #withCallTimeout}) cut off by its bound (query or
 *       network timeout, no pooled connection in time, the time up): {@link
 *       IdempotencyStoreTimeoutException}, naming the timeout and the SQLState.
 *   <li>Table or column missing: {@link IdempotencyTableMissingException} naming the table and the
 *       DDL resource (checked eagerly by {@link #create} when the database is reachable).
 *   <li>Database product without a dialect: {@link UnsupportedDatabaseException} naming the product
 *       and the supported ones.
 *   <li>Outcome over the size limit: {@link OutcomeTooLargeException}, nothing written; {@link
 *       #complete} releases the caller's key first (a retry runs at once), a transactional
 *       completion keeps it.
 * </ul>
 *
 * <h2>Store-call timeout</h2>
 *
 * The engine hands its store-call timeout to {@link #withCallTimeout} when it is built. On a
 * running HikariCP pool whose longest wait for a connection ({@code connectionTimeout + max(1 s,
 * validationTimeout)}) is below the timeout, the store returns a bounded view, and the engine calls
 * it on the caller's thread: every statement gets the call's time left as its network timeout and a
 * capped query timeout, so a stopped server or a row locked by another transaction cannot hold the
 * caller past the timeout. On any other {@link DataSource} (whose {@code getConnection()} the store
 * cannot bound) there is no view, and the engine keeps handing each call to its store executor.
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
  private volatile Dialect productDialect;

  /** The store a bounded view belongs to (it resolves the dialect); {@code this} otherwise. */
  private final JdbcIdempotencyStore root;

  /** A bounded view's call timeout, or null. */
  private final Duration callTimeout;

  private final long callTimeoutNanos;

  /** A bounded view's pool wait bound, or null. */
  private final PoolWait poolWait;

  private JdbcIdempotencyStore(DataSource dataSource, JdbcIdempotencyStoreConfig config) {
    this.dataSource = dataSource;
    this.config = config;
    this.clock = config.getClock();
    this.table = config.getTableName();
    this.root = this;
    this.callTimeout = null;
    this.callTimeoutNanos = 0;
    this.poolWait = null;
  }

  /** A bounded view of {@code root}. */
  private JdbcIdempotencyStore(JdbcIdempotencyStore root, Duration callTimeout, PoolWait poolWait) {
    this.dataSource = root.dataSource;
    this.config = root.config;
    this.clock = root.clock;
    this.table = root.table;
    this.root = root;
    this.callTimeout = callTimeout;
    this.callTimeoutNanos = callTimeout.toNanos();
    this.poolWait = poolWait;
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

  /**
   * Claims without a retention hint: the row's purge key is its lease end, as in 0.1.0, so an
   * abandoned claim is purgeable as soon as its lease expires, and the completion moves the purge
   * key to the retention end (an update of an indexed column). See {@link #claim(IdempotencyKey,
   * RequestFingerprint, Duration, Duration)} for the cheaper completion.
   */
  @Override
  public ClaimResult claim(
      IdempotencyKey key, RequestFingerprint fingerprint, Duration leaseDuration) {
    return claim(key, fingerprint, leaseDuration, null, false);
  }

  /**
   * Claims {@code key} with the retention the caller will complete with (the engine passes its
   * operation's retention). In the {@link RowFormat#V2_BINARY} row format the row's indexed {@code
   * purge_at} is fixed here at {@code now + leaseDuration + retentionHint}, so that the completion
   * (within the lease, with that retention) changes no indexed column: on PostgreSQL it is a HOT
   * update. A completion with a longer retention moves {@code purge_at} with it ({@code GREATEST}),
   * so a row is never purged while live. The price: {@link #purgeExpired()} deletes a completed row
   * up to one lease after its retention expiry (one completed with a shorter retention than the
   * hint up to the difference later), and an abandoned claim (its owner died) only when a completed
   * record would have gone; until then such rows take space but are logically absent (every read
   * checks {@code expires_at}).
   */
  @Override
  public ClaimResult claim(
      IdempotencyKey key,
      RequestFingerprint fingerprint,
      Duration leaseDuration,
      Duration retentionHint) {
    Objects.requireNonNull(retentionHint, "retentionHint");
    return claim(key, fingerprint, leaseDuration, retentionHint, true);
  }

  private ClaimResult claim(
      IdempotencyKey key,
      RequestFingerprint fingerprint,
      Duration leaseDuration,
      Duration retentionHint,
      boolean hinted) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fingerprint, "fingerprint");
    requirePositive("leaseDuration", leaseDuration);
    if (hinted) {
      requirePositive("retentionHint", retentionHint);
    }
    byte[] keyHash = hash(key);
    byte[] fingerprintBytes = fingerprint.bytes();
    String token = newOwnerToken();
    CallDeadline deadline = startCall();
    try (Connection c = borrow(deadline)) {
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
                fingerprintBytes,
                now,
                plus(now, leaseDuration),
                hinted ? plus(plus(now, leaseDuration), retentionHint) : plus(now, leaseDuration));
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
      throw translate("claim", e, deadline);
    } finally {
      endCall(deadline);
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
    byte[] metadata;
    try {
      metadata = encodeChecked(outcome);
    } catch (OutcomeTooLargeException refused) {
      // Release the key so a retry runs at once instead of waiting for the lease.
      boolean released = false;
      RuntimeException releaseFailure = null;
      try {
        released = release(key, ownerToken);
      } catch (RuntimeException e) {
        releaseFailure = e;
      }
      OutcomeTooLargeException e = new OutcomeTooLargeException(refused, released);
      if (releaseFailure != null) {
        e.addSuppressed(releaseFailure);
      }
      throw e;
    }
    CallDeadline deadline = startCall();
    try (Connection c = borrow(deadline)) {
      boolean done = completeOn(dialect(c), c, key, ownerToken, outcome, metadata, retention);
      commitIfNeeded(c);
      return done;
    } catch (SQLException e) {
      throw translate("complete", e, deadline);
    } finally {
      endCall(deadline);
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
      Dialect d = root.dialect != null ? root.dialect : resolveOnOwnConnection();
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
    String token = newOwnerToken();
    try {
      Dialect d = root.dialect != null ? root.dialect : resolveOnOwnConnection();
      long now = clock.millis();
      long expiresAt = plus(now, retention);
      Dialect.ClaimParams params =
          new Dialect.ClaimParams(
              hash(key),
              key.scope(),
              key.operation(),
              key.clientKey(),
              token,
              fingerprint.bytes(),
              now,
              expiresAt,
              expiresAt);
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
   * Transactional mode for a batch of new keys, in one statement: like {@link
   * #insertCompletedInTransaction} for every key of {@code keys} at once (on PostgreSQL one {@code
   * INSERT ... SELECT ... FROM unnest(...) ON CONFLICT DO NOTHING RETURNING key_hash}), inside the
   * caller's open transaction, without committing. For a consumer that handles a whole poll in one
   * transaction: a batch of N new keys costs N business writes, this one statement and the commit.
   *
   * <p>Per key the guarantees are those of {@link #insertCompletedInTransaction}: an inserted key
   * is invisible until the caller commits and gone after a rollback; a key whose row another open
   * transaction inserted is waited for (bounded by the store's query timeout), then skipped if that
   * transaction committed; a key that already has a committed row (live, completed or expired) is
   * skipped without waiting or locking and must go the ordinary {@link #claim}. Keys are inserted
   * in key-hash order, so two batches sharing keys cannot deadlock on them. All rows get one owner
   * token.
   *
   * <p>Empty, with nothing written and no round trip, if {@code keys} is empty or the dialect has
   * no such insert (see {@link #supportsInsertCompletedInTransaction()}: MariaDB, MySQL, H2 and the
   * day-partitioned layout have none; their callers claim each key the usual way).
   *
   * @param keys distinct keys with the fingerprints of their payloads
   * @return the keys inserted, each with its owner token (for {@link #deleteInTransaction})
   * @throws OutcomeTooLargeException if the outcome exceeds the size limits (nothing written)
   * @throws IdempotencyStoreException if the statement fails; the caller's transaction is then
   *     aborted on PostgreSQL
   */
  public Map<IdempotencyKey, String> insertCompletedBatchInTransaction(
      Connection connection,
      Map<IdempotencyKey, RequestFingerprint> keys,
      StoredOutcome outcome,
      Duration retention) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(outcome, "outcome");
    requirePositive("retention", retention);
    byte[] metadata = encodeChecked(outcome);
    if (keys.isEmpty()) {
      return Map.of();
    }
    String token = newOwnerToken();
    try {
      Dialect d = dialect != null ? dialect : resolveOnOwnConnection();
      if (!d.supportsInsertCompleted()) {
        return Map.of();
      }
      long now = clock.millis();
      long expiresAt = plus(now, retention);
      List<Dialect.ClaimParams> rows = new ArrayList<>(keys.size());
      List<String> hexes = new ArrayList<>(keys.size());
      for (Map.Entry<IdempotencyKey, RequestFingerprint> e : keys.entrySet()) {
        IdempotencyKey key = Objects.requireNonNull(e.getKey(), "key");
        byte[] hash = hash(key);
        hexes.add(HEX.formatHex(hash));
        rows.add(
            new Dialect.ClaimParams(
                hash,
                key.scope(),
                key.operation(),
                key.clientKey(),
                token,
                Objects.requireNonNull(e.getValue(), "fingerprint").bytes(),
                now,
                expiresAt,
                expiresAt));
      }
      Set<String> inserted =
          d.insertCompletedBatch(
              connection,
              rows,
              outcome.status(),
              metadata,
              outcome.bodyLength() == 0 ? null : outcome.body());
      if (inserted == null) {
        return Map.of();
      }
      Map<IdempotencyKey, String> result = new LinkedHashMap<>();
      int i = 0;
      for (IdempotencyKey key : keys.keySet()) {
        if (inserted.contains(hexes.get(i++))) {
          result.put(key, token);
        }
      }
      return result;
    } catch (SQLException e) {
      throw translate("insertCompletedBatchInTransaction", e);
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
      Dialect d = root.dialect != null ? root.dialect : resolveOnOwnConnection();
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
      Dialect d = root.dialect != null ? root.dialect : resolveOnOwnConnection();
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
    CallDeadline deadline = startCall();
    try (Connection c = borrow(deadline)) {
      boolean done = dialect(c).release(c, hash(key), ownerToken, clock.millis()) == 1;
      commitIfNeeded(c);
      return done;
    } catch (SQLException e) {
      throw translate("release", e, deadline);
    } finally {
      endCall(deadline);
    }
  }

  @Override
  public Optional<Instant> renew(IdempotencyKey key, String ownerToken, Duration leaseDuration) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ownerToken, "ownerToken");
    requirePositive("leaseDuration", leaseDuration);
    CallDeadline deadline = startCall();
    try (Connection c = borrow(deadline)) {
      long now = clock.millis();
      long expiry = plus(now, leaseDuration);
      boolean done = dialect(c).renew(c, hash(key), ownerToken, now, expiry) == 1;
      commitIfNeeded(c);
      return done ? Optional.of(Instant.ofEpochMilli(expiry)) : Optional.empty();
    } catch (SQLException e) {
      throw translate("renew", e, deadline);
    } finally {
      endCall(deadline);
    }
  }

  @Override
  public Optional<IdempotencyRecord> find(IdempotencyKey key) {
    Objects.requireNonNull(key, "key");
    CallDeadline deadline = startCall();
    try (Connection c = borrow(deadline)) {
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
      throw translate("find", e, deadline);
    } finally {
      endCall(deadline);
    }
  }

  /**
   * A view of this store (same table, settings and records) that bounds each of its {@link
   * IdempotencyStore} calls to {@code timeout}, so the engine can call it on the caller's thread
   * instead of handing each call to its store executor; or empty if the store cannot promise that
   * on this {@link DataSource}.
   *
   * <p>A call of the view is bounded in each of its steps ({@code CallDeadline}):
   *
   * <ul>
   *   <li><b>Borrowing a connection</b> cannot be interrupted, so the pool itself must bound it:
   *       the view exists only for a running HikariCP pool (found directly or through {@link
   *       DataSource#unwrap}) whose {@code connectionTimeout + max(1 s, validationTimeout)} (a
   *       borrow's longest wait, a dead connection's validation included) is shorter than {@code
   *       timeout} and that does not allow suspension. Before every borrow the view reads both
   *       settings again; if they were raised through HikariCP's MXBean beyond the timeout, the
   *       call fails with an {@link IdempotencyStoreException} instead of risking a longer wait.
   *       Other pools and plain data sources get no view (the engine keeps its hand-off), nor does
   *       H2, which runs in-process and has no network timeout to bound a lock wait with.
   *   <li><b>Every statement</b>: the connection's network timeout ({@link
   *       Connection#setNetworkTimeout}) is set to the time left before the statement is sent, so a
   *       database that stopped answering, or a row lock held by another transaction, cannot hold
   *       the caller past the deadline (the driver then closes that connection and the pool
   *       replaces it); the query timeout ({@link JdbcIdempotencyStoreConfig#getQueryTimeout()}) is
   *       capped to the whole seconds left minus 1 ms, so that with a second or more left the
   *       server cancels a waiting statement cleanly first. With no time left the statement is not
   *       sent.
   * </ul>
   *
   * A call cut off by its bound throws {@link IdempotencyStoreTimeoutException}; whether a claim
   * cut off that way created its in-progress row is unknown (the row's lease then expires, and
   * until then the key answers in progress, so the action never runs twice because of it). The
   * network timeout bounds each blocking read of the driver, the usual shape of a hang; a server
   * that trickles a reply byte by byte slower than the deadline is not covered.
   *
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  @Override
  public Optional<IdempotencyStore> withCallTimeout(Duration timeout) {
    IdempotencyStore.requireCallTimeout(timeout);
    if (root != this) {
      return root.withCallTimeout(timeout);
    }
    Dialect known = dialect != null ? dialect : productDialect;
    if (known instanceof H2Dialect) {
      // In-process: no network timeout to bound a lock wait with.
      log.info(
          "Idempotency store on table '{}' (H2) does not bound its calls; the engine hands each"
              + " store call to its store executor",
          table);
      return Optional.empty();
    }
    PoolWait wait = PoolWait.of(dataSource);
    long bound = wait == null ? -1 : wait.millis();
    if (bound < 0 || bound >= timeout.toMillis()) {
      log.info(
          "Idempotency store on table '{}' cannot bound its calls to {}: {}; the engine hands each"
              + " store call to its store executor. For calls on the caller's thread, use a"
              + " HikariCP pool whose connectionTimeout + max(1 s, validationTimeout) is below"
              + " the store-call timeout",
          table,
          timeout,
          wait == null
              ? "the DataSource is not a HikariCP pool, so the wait for a connection has no known"
                  + " bound"
              : wait.describe() + " can wait longer for a connection");
      return Optional.empty();
    }
    return Optional.of(new JdbcIdempotencyStore(this, timeout, wait));
  }

  /** The call timeout of a bounded view ({@link #withCallTimeout}); empty for the store itself. */
  public Optional<Duration> getCallTimeout() {
    return Optional.ofNullable(callTimeout);
  }

  /** A bounded view's budget for one call, started now; null for the store itself. */
  private CallDeadline startCall() {
    return callTimeout == null ? null : CallDeadline.start(callTimeout, callTimeoutNanos);
  }

  private Connection borrow(CallDeadline deadline) throws SQLException {
    if (deadline == null) {
      return dataSource.getConnection();
    }
    long bound = poolWait.millis();
    if (bound < 0 || bound >= callTimeout.toMillis()) {
      throw new IdempotencyStoreException(
          "idempotency store on table '"
              + table
              + "' can no longer bound its calls to the store-call timeout "
              + callTimeout
              + ": "
              + poolWait.describe()
              + " may now wait longer for a connection; lower the pool's timeouts again, or"
              + " rebuild the engine so that it hands store calls to its store executor");
    }
    return deadline.borrow(dataSource);
  }

  private static void endCall(CallDeadline deadline) {
    if (deadline != null) {
      deadline.end();
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
    Dialect d = root.dialect;
    return d == null ? Optional.empty() : Optional.of(d.name());
  }

  @Override
  public String toString() {
    Dialect d = root.dialect;
    return "JdbcIdempotencyStore[table="
        + table
        + ", dialect="
        + (d == null ? "unresolved" : d.name())
        + (callTimeout == null ? "" : ", callTimeout=" + callTimeout)
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

  /**
   * The dialect for this table, resolved on first use: the database product decides the class, the
   * table's columns the {@link RowFormat} (a table is always written in the format it was created
   * with). While the table does not exist the product's dialect is returned without being cached,
   * so its statements fail with a missing-table error and a table created later is probed again.
   */
  private Dialect dialect(Connection c) throws SQLException {
    if (root != this) {
      return root.dialect(c);
    }
    Dialect d = dialect;
    if (d != null) {
      return d;
    }
    synchronized (resolveLock) {
      if (dialect != null) {
        return dialect;
      }
      long timeout = config.getQueryTimeout().toMillis();
      int timeoutSeconds = (int) Math.min(Integer.MAX_VALUE, (timeout + 999) / 1000);
      DatabaseMetaData md = c.getMetaData();
      String product = md.getDatabaseProductName();
      String version = md.getDatabaseProductVersion();
      Dialect detected = newDialect(product, version, timeoutSeconds, RowFormat.V2_BINARY);
      productDialect = detected;
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
      RowFormat format = detected.probeFormat(c);
      if (format == null) {
        return detected;
      }
      if (format != detected.format) {
        detected = newDialect(product, version, timeoutSeconds, format);
      }
      if (format == RowFormat.V1_HEX && !config.isPartitionedByDay()) {
        log.warn(
            "Idempotency table '{}' has the 0.1.0 row format (hex keys, no purge_at); it keeps"
                + " working as it is. Run {}migrate-0.1-to-0.2-{}.sql for binary keys and"
                + " completions that touch no index",
            table,
            JdbcIdempotencySchema.RESOURCE_DIRECTORY,
            detected.name().toLowerCase(java.util.Locale.ROOT));
      }
      dialect = detected;
      return detected;
    }
  }

  private Dialect newDialect(String product, String version, int timeoutSeconds, RowFormat format) {
    return Dialect.detect(
        product,
        version,
        table,
        config.isPartitionedByDay(),
        timeoutSeconds,
        format,
        !config.isDurableClaims());
  }

  /**
   * The table's row format, resolving the dialect if needed: {@code V2_BINARY} for a table created
   * by this version's DDL, {@code V1_HEX} for one created by 0.1.0 (or the partitioned layout). For
   * tests and diagnostics.
   */
  String rowFormat() {
    try (Connection c = dataSource.getConnection()) {
      Dialect d = dialect(c);
      commitIfNeeded(c);
      return d.format.name();
    } catch (SQLException e) {
      throw translate("rowFormat", e);
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

  /**
   * {@link #translate(String, SQLException)}, and in a bounded view's call an {@link
   * IdempotencyStoreTimeoutException} when the call's bound cut it off (a query or network timeout,
   * no pooled connection in time, or the call's time is up).
   */
  private IdempotencyStoreException translate(
      String operation, SQLException e, CallDeadline deadline) {
    if (deadline == null || !(CallDeadline.isTimeout(e) || deadline.expired())) {
      return translate(operation, e);
    }
    Dialect d = root.dialect != null ? root.dialect : root.productDialect;
    return new IdempotencyStoreTimeoutException(
        "idempotency store "
            + operation
            + " on table '"
            + table
            + "' was cut off by the store-call timeout "
            + deadline.timeout
            + " ("
            + (d == null ? "database not yet identified" : d.name())
            + ", SQLState "
            + e.getSQLState()
            + "): "
            + e.getMessage(),
        deadline.timeout,
        e);
  }

  private IdempotencyStoreException translate(String operation, SQLException e) {
    Dialect d = root.dialect != null ? root.dialect : root.productDialect;
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

  private static byte[] hash(IdempotencyKey key) {
    return KeyHash.digest(key.scope(), key.operation(), key.clientKey());
  }

  /**
   * A fresh owner token: 128 random bits as 22 base64url characters (shorter than a UUID's 36, the
   * same entropy; tokens are opaque, and rows holding older UUID tokens still compare as before).
   */
  private static String newOwnerToken() {
    UUID u = UUID.randomUUID();
    byte[] bytes =
        java.nio.ByteBuffer.allocate(16)
            .putLong(u.getMostSignificantBits())
            .putLong(u.getLeastSignificantBits())
            .array();
    return TOKEN_ENCODER.encodeToString(bytes);
  }

  private static final java.util.HexFormat HEX = java.util.HexFormat.of();

  private static final java.util.Base64.Encoder TOKEN_ENCODER =
      java.util.Base64.getUrlEncoder().withoutPadding();

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
