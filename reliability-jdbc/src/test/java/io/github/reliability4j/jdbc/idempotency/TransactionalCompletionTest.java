package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotentExecution;
import io.github.reliability4j.core.idempotency.LeaseLostException;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.test.idempotency.MutableClock;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Transactional mode on embedded PostgreSQL: the business write and the completion share one
 * transaction, so a crash or rollback between them and the commit leaves nothing behind, the key is
 * claimable again and the retry executes exactly once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ReplicatedPostgres(replicas = 0)
class TransactionalCompletionTest {

  private final PostgresCluster cluster;

  TransactionalCompletionTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration RETENTION = Duration.ofHours(1);
  private static final RequestFingerprint FP = RequestFingerprint.sha256("order 42");

  private final MutableClock clock = MutableClock.create();
  private final AtomicInteger keys = new AtomicInteger();
  private DataSource ds;
  private String table;
  private String orders;
  private JdbcIdempotencyStore store;
  private StoreWithBusinessTable db;

  @BeforeAll
  void setUp() throws SQLException {
    ds = cluster.primary().dataSource();
    db =
        StoreWithBusinessTable.create(
            ds, "idem_tx", "_orders", "(idem VARCHAR(100) NOT NULL, note VARCHAR(100))", clock);
    table = db.table;
    orders = db.business;
    store = db.store;
  }

  @AfterAll
  void tearDown() {
    db.close();
  }

  private IdempotencyKey newKey() {
    return IdempotencyKey.of("shop", "place-order", "tx-" + keys.incrementAndGet());
  }

  /**
   * The business transaction: insert the order, complete the key, leave the commit to the caller.
   */
  private Connection businessWriteAndCompletion(IdempotencyKey key, String owner)
      throws SQLException {
    Connection c = ds.getConnection();
    c.setAutoCommit(false);
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO " + orders + " (idem, note) VALUES (?, 'placed')")) {
      ps.setString(1, key.clientKey());
      ps.executeUpdate();
    }
    store.completeInTransactionOrThrow(c, key, owner, StoredOutcome.ok("order placed"), RETENTION);
    return c;
  }

  private int orderCount(IdempotencyKey key) throws SQLException {
    return db.count("idem", key.clientKey());
  }

  /** Retries from several threads at once: exactly one executes and commits, all others wait. */
  private void retryFromManyThreadsExecutesOnce(IdempotencyKey key) throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger executed = new AtomicInteger();
    List<Future<?>> futures = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      futures.add(
          pool.submit(
              () -> {
                start.await();
                ClaimResult r = store.claim(key, FP, LEASE);
                if (r instanceof ClaimResult.Acquired a) {
                  executed.incrementAndGet();
                  try (Connection c = businessWriteAndCompletion(key, a.ownerToken())) {
                    c.commit();
                  }
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(executed.get()).isEqualTo(1);
    assertThat(orderCount(key)).isEqualTo(1);
    assertThat(store.claim(key, FP, LEASE))
        .isEqualTo(
            new ClaimResult.Completed(
                StoredOutcome.ok("order placed"), clock.instant().plus(RETENTION)));
  }

  @Test
  void connectionKilledBeforeCommitLeavesNothingAndTheRetryExecutesOnce() throws Exception {
    IdempotencyKey key = newKey();
    String owner = ((ClaimResult.Acquired) store.claim(key, FP, LEASE)).ownerToken();
    Connection business = businessWriteAndCompletion(key, owner);
    int pid;
    try (Statement st = business.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      pid = rs.getInt(1);
    }
    try (Connection admin = ds.getConnection();
        Statement st = admin.createStatement()) {
      st.execute("SELECT pg_terminate_backend(" + pid + ")");
    }
    assertThatThrownBy(business::commit).isInstanceOf(SQLException.class);
    business.close();

    assertThat(orderCount(key)).as("business write rolled back").isZero();
    assertThat(store.find(key).orElseThrow().state())
        .as("completion rolled back with it")
        .isEqualTo(RecordState.IN_PROGRESS);
    assertThat(store.release(key, owner)).as("the surviving worker frees the key").isTrue();

    retryFromManyThreadsExecutesOnce(key);
  }

  @Test
  void rollbackAfterTheBusinessWriteLeavesNothingAndTheRetryExecutesOnce() throws Exception {
    IdempotencyKey key = newKey();
    String owner = ((ClaimResult.Acquired) store.claim(key, FP, LEASE)).ownerToken();
    try (Connection business = businessWriteAndCompletion(key, owner)) {
      business.rollback();
    }
    assertThat(orderCount(key)).isZero();
    assertThat(store.find(key).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(store.release(key, owner)).isTrue();

    retryFromManyThreadsExecutesOnce(key);
  }

  @Test
  void workerDiedBeforeCommitSoTheLeaseExpiresAndTheRetryExecutesOnce() throws Exception {
    IdempotencyKey key = newKey();
    String owner = ((ClaimResult.Acquired) store.claim(key, FP, LEASE)).ownerToken();
    Connection business = businessWriteAndCompletion(key, owner);
    business.close(); // closing with an open transaction rolls it back; nobody releases

    assertThat(store.claim(key, FP, LEASE)).isInstanceOf(ClaimResult.InProgress.class);
    clock.advance(LEASE);
    retryFromManyThreadsExecutesOnce(key);
    assertThat(orderCount(key)).isEqualTo(1);
  }

  @Test
  void lostLeaseMakesTheTransactionalCompletionThrowSoTheBusinessWriteRollsBack() throws Exception {
    IdempotencyKey key = newKey();
    String owner = ((ClaimResult.Acquired) store.claim(key, FP, LEASE)).ownerToken();
    clock.advance(LEASE);
    ClaimResult takeover = store.claim(key, FP, LEASE);
    assertThat(((ClaimResult.Acquired) takeover).takeover()).isTrue();

    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO " + orders + " (idem, note) VALUES (?, 'late')")) {
        ps.setString(1, key.clientKey());
        ps.executeUpdate();
      }
      assertThatThrownBy(
              () ->
                  store.completeInTransactionOrThrow(
                      c, key, owner, StoredOutcome.ok("late"), RETENTION))
          .isInstanceOfSatisfying(
              LeaseLostException.class, e -> assertThat(e.getOwnerToken()).isEqualTo(owner));
      c.rollback();
    }
    assertThat(orderCount(key)).isZero();
    assertThat(store.find(key).orElseThrow().ownerToken())
        .isEqualTo(((ClaimResult.Acquired) takeover).ownerToken());
  }

  /** How an application wires transactional mode into the engine's lower-level API. */
  @Test
  void engineOwnerCompletesInsideTheBusinessTransaction() throws Exception {
    Idempotency engine = Idempotency.of(store);
    IdempotencyKey key = newKey();
    // Attempt 1 fails before commit: the business transaction rolls back, close() releases.
    try (IdempotentExecution exec = engine.begin(key, FP)) {
      assertThat(exec.kind()).isEqualTo(IdempotentExecution.Kind.OWNER);
      try (Connection c = businessWriteAndCompletion(key, exec.ownerToken().orElseThrow())) {
        c.rollback();
      }
    }
    assertThat(orderCount(key)).isZero();
    assertThat(store.find(key)).isEmpty();
    // Attempt 2 commits the order and the completion together.
    try (IdempotentExecution exec = engine.begin(key, FP)) {
      assertThat(exec.kind()).isEqualTo(IdempotentExecution.Kind.OWNER);
      try (Connection c = businessWriteAndCompletion(key, exec.ownerToken().orElseThrow())) {
        c.commit();
      }
      exec.markCompletedExternally();
    }
    // Attempt 3 replays.
    try (IdempotentExecution exec = engine.begin(key, FP)) {
      assertThat(exec.kind()).isEqualTo(IdempotentExecution.Kind.REPLAY);
      assertThat(exec.replayedOutcome()).contains(StoredOutcome.ok("order placed"));
    }
    assertThat(orderCount(key)).isEqualTo(1);
  }

  @Test
  void takeoverWaitsForTheOpenTransactionInsteadOfRacingIt() throws Exception {
    IdempotencyKey key = newKey();
    String owner = ((ClaimResult.Acquired) store.claim(key, FP, LEASE)).ownerToken();
    try (Connection business = businessWriteAndCompletion(key, owner)) {
      // The lease ends while the transaction is still open.
      clock.advance(LEASE);
      CompletableFuture<ClaimResult> contender =
          CompletableFuture.supplyAsync(() -> store.claim(key, FP, LEASE));
      awaitBlockedOnLock();
      assertThat(contender).isNotDone();
      business.commit();
      assertThat(contender.get(30, TimeUnit.SECONDS))
          .as("the contender sees the committed completion, not an expired lease")
          .isInstanceOf(ClaimResult.Completed.class);
    }
    assertThat(orderCount(key)).isEqualTo(1);
  }

  private void awaitBlockedOnLock() throws Exception {
    db.awaitPostgresLockWaiters(1, "the contending claim never blocked on the row lock");
  }
}
