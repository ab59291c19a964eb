package io.github.reliability4j.benchmarks.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.benchmarks.support.BenchDatabase;
import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.camel.processor.idempotent.jdbc.JdbcMessageIdRepository;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.ThreadParams;

/*
 * Group 2: the JDBC idempotency store on embedded PostgreSQL 14 against Apache Camel's
 * JdbcMessageIdRepository (camel-sql) on the same server, through the same kind of HikariCP pool.
 *
 * New key:   rawInsert (floor: one auto-commit INSERT of a row into the same table),
 *            r4jClaimComplete (store.claim + store.complete), engineNewKey (Idempotency.execute
 *            with the JDBC store, engine defaults; the pool's timeouts let the store bound its
 *            own calls, so the engine calls it on the benchmark thread), camelAddConfirm (add +
 *            confirm, as Camel's idempotent consumer does for a new message).
 * Duplicate: rawSelect (floor: one primary-key SELECT of the row), r4jDuplicateClaim (claim of a
 *            completed key, which is what the engine sends on a retry), camelDuplicateContains
 *            (contains), camelDuplicateAdd (add of an existing id, which is what Camel's eager
 *            idempotent consumer sends).
 *
 * New key with the business write (what a request does; both sides commit twice):
 *            orderInsert (floor: the business INSERT alone, auto-commit), r4jTransactionalNewKey
 *            (claim, then one transaction holding the business INSERT and completeInTransaction),
 *            camelAddThenInsert (add, then the business INSERT, then confirm, as Camel's idempotent
 *            consumer runs a route that writes).
 *
 * Each table holds `rows` pre-existing rows, bulk-loaded once with INSERT ... SELECT
 * generate_series (random-looking keys, so the primary-key index is as wide as a real one). Rows a
 * measurement inserts are deleted (and the table vacuumed) after every iteration, so the table
 * stays at `rows` plus at most one iteration's inserts. Round trips per operation are counted by
 * RoundTripReport, not here, so that the counting wrapper does not cost time in these numbers.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Threads(1)
public class JdbcIdempotencyBenchmark {

  static final String NEW_SCOPE = "bench-new";
  static final String DUP_SCOPE = "bench-dup";
  static final String OPERATION = "create-payment";
  static final int DUPLICATES = 1024;
  static final long FAR_FUTURE_MILLIS = 4_102_444_800_000L; // 2100-01-01
  static final Duration LEASE = Duration.ofSeconds(30);
  static final Duration RETENTION = Duration.ofHours(24);
  static final StoredOutcome OUTCOME =
      StoredOutcome.ok("{\"paymentId\":\"p-1\",\"status\":\"captured\"}");
  static final RequestFingerprint FINGERPRINT =
      RequestFingerprint.ofParts("POST", "/payments", "{\"amount\":1200}");
  static final byte[] FINGERPRINT_BYTES = FINGERPRINT.bytes();

  @Param({"10000", "1000000"})
  public int rows;

  private BenchDatabase db;
  private HikariDataSource pool;
  private String ourTable;
  private String camelTable;
  private JdbcIdempotencyStore store;
  private Idempotency engine;
  private JdbcMessageIdRepository camel;
  private IdempotencyKey[] dupKeys;
  private String[] dupIds;
  private byte[][] dupHashes;
  private String rawInsertSql;
  private String rawSelectSql;

  @Setup(Level.Trial)
  public void setUp() throws SQLException {
    db = BenchDatabase.open();
    pool = BenchDatabase.pool("bench-jdbc", BenchDatabase.plain(db.primaryUrl()), 2);
    // Short pool timeouts (connectionTimeout + max(1 s, validationTimeout) = 1.5 s, below the
    // engine's 2 s store-call timeout) let the JDBC store bound its own calls, so engineNewKey
    // calls it on the benchmark thread instead of handing each call to the store executor. They
    // change nothing in steady state (the fixed-size pool always has a connection), for Camel too.
    pool.getHikariConfigMXBean().setConnectionTimeout(500);
    pool.getHikariConfigMXBean().setValidationTimeout(250);
    ourTable = "r4j_idem_" + rows;
    camelTable = "camel_msg_" + rows;
    Tables.prepare(db, pool, ourTable, camelTable, rows);

    store =
        JdbcIdempotencyStore.create(
            pool, JdbcIdempotencyStoreConfig.custom().tableName(ourTable).build());
    engine = Idempotency.of(store);
    if (engine.storeCallsHandedOff()) {
      throw new IllegalStateException("engineNewKey would hand store calls off: " + store);
    }
    camel = Tables.camelRepository(pool, camelTable, "bench");

    dupKeys = new IdempotencyKey[DUPLICATES];
    dupIds = new String[DUPLICATES];
    dupHashes = new byte[DUPLICATES][];
    rawInsertSql =
        "INSERT INTO "
            + ourTable
            + " (key_hash, scope, operation, client_key, state, owner_token, fingerprint,"
            + " created_at, expires_at, purge_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    rawSelectSql =
        "SELECT state, owner_token, fingerprint, created_at, expires_at, result_code, metadata,"
            + " body FROM "
            + ourTable
            + " WHERE key_hash = ?";
    for (int i = 0; i < DUPLICATES; i++) {
      dupKeys[i] = IdempotencyKey.of(DUP_SCOPE, OPERATION, "dup-" + i);
      ClaimResult claim = store.claim(dupKeys[i], FINGERPRINT, LEASE, RETENTION);
      if (claim instanceof ClaimResult.Acquired) {
        store.complete(dupKeys[i], ((ClaimResult.Acquired) claim).ownerToken(), OUTCOME, RETENTION);
      }
      dupIds[i] = "dup-" + Integer.toHexString(i * 0x9E3779B9) + "-" + i;
      camel.add(dupIds[i]);
    }
    Tables.loadHashes(db, ourTable, DUP_SCOPE, dupHashes);
  }

  @TearDown(Level.Iteration)
  public void removeInsertedRows() throws SQLException {
    Tables.removeInserted(db, ourTable, camelTable);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    camel.stop();
    pool.close();
    db.close();
  }

  /** Fresh keys per thread; random-looking so inserts land all over the primary-key index. */
  @State(Scope.Thread)
  public static class Keys {
    private SplittableRandom random;
    private int dup;

    @Setup(Level.Trial)
    public void setUp(ThreadParams thread) {
      random = new SplittableRandom(System.nanoTime() ^ thread.getThreadIndex());
    }

    String fresh() {
      return Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
    }

    int nextDuplicate() {
      return dup++ & (DUPLICATES - 1);
    }
  }

  /** Floor for a new key: one auto-commit INSERT of a row of the same table (one round trip). */
  @Benchmark
  public int rawInsert(Keys keys) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement(rawInsertSql)) {
      String k = keys.fresh();
      long now = System.currentTimeMillis();
      ps.setBytes(1, RequestFingerprint.sha256(k).bytes());
      ps.setString(2, NEW_SCOPE);
      ps.setString(3, OPERATION);
      ps.setString(4, k);
      ps.setString(5, "C");
      ps.setString(6, k);
      ps.setBytes(7, FINGERPRINT_BYTES);
      ps.setLong(8, now);
      ps.setLong(9, now + RETENTION.toMillis());
      ps.setLong(10, now + RETENTION.toMillis());
      return ps.executeUpdate();
    }
  }

  /** Floor for a duplicate: one primary-key SELECT of the completed row (one round trip). */
  @Benchmark
  public boolean rawSelect(Keys keys) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement(rawSelectSql)) {
      ps.setBytes(1, dupHashes[keys.nextDuplicate()]);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getString(1) != null;
      }
    }
  }

  @Benchmark
  public boolean r4jClaimComplete(Keys keys) {
    IdempotencyKey key = IdempotencyKey.of(NEW_SCOPE, OPERATION, keys.fresh());
    ClaimResult.Acquired claim =
        (ClaimResult.Acquired) store.claim(key, FINGERPRINT, LEASE, RETENTION);
    return store.complete(key, claim.ownerToken(), OUTCOME, RETENTION);
  }

  @Benchmark
  public IdempotencyResult<StoredOutcome> engineNewKey(Keys keys) {
    IdempotencyKey key = IdempotencyKey.of(NEW_SCOPE, OPERATION, keys.fresh());
    return engine.execute(key, FINGERPRINT, () -> OUTCOME);
  }

  private static int insertOrder(Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO " + Tables.ORDERS + " (id, amount, created_at) VALUES (?, ?, ?)")) {
      ps.setString(1, id);
      ps.setInt(2, 1200);
      ps.setLong(3, System.currentTimeMillis());
      return ps.executeUpdate();
    }
  }

  /** Floor of group 2c: the business write alone, one auto-commit INSERT. */
  @Benchmark
  public int orderInsert(Keys keys) throws SQLException {
    try (Connection c = pool.getConnection()) {
      return insertOrder(c, keys.fresh());
    }
  }

  @Benchmark
  public boolean r4jTransactionalNewKey(Keys keys) throws SQLException {
    String id = keys.fresh();
    IdempotencyKey key = IdempotencyKey.of(NEW_SCOPE, OPERATION, id);
    ClaimResult.Acquired claim =
        (ClaimResult.Acquired) store.claim(key, FINGERPRINT, LEASE, RETENTION);
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        insertOrder(c, id);
        store.completeInTransactionOrThrow(c, key, claim.ownerToken(), OUTCOME, RETENTION);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
    return true;
  }

  @Benchmark
  public boolean camelAddThenInsert(Keys keys) throws SQLException {
    String id = "new-" + keys.fresh();
    if (!camel.add(id)) {
      throw new IllegalStateException("a fresh id was a duplicate");
    }
    try (Connection c = pool.getConnection()) {
      insertOrder(c, id);
    }
    return camel.confirm(id);
  }

  @Benchmark
  public boolean camelAddConfirm(Keys keys) {
    String id = "new-" + keys.fresh();
    return camel.add(id) && camel.confirm(id);
  }

  @Benchmark
  public ClaimResult r4jDuplicateClaim(Keys keys) {
    return store.claim(dupKeys[keys.nextDuplicate()], FINGERPRINT, LEASE, RETENTION);
  }

  @Benchmark
  public boolean camelDuplicateContains(Keys keys) {
    return camel.contains(dupIds[keys.nextDuplicate()]);
  }

  @Benchmark
  public boolean camelDuplicateAdd(Keys keys) {
    return camel.add(dupIds[keys.nextDuplicate()]);
  }
}
