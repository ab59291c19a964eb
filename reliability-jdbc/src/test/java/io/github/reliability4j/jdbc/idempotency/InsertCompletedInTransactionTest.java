package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyKeyMismatchException;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link JdbcIdempotencyStore#insertCompletedInTransaction} on embedded PostgreSQL, the
 * one-statement claim behind {@link TransactionalIdempotentConsumer} and the transactional
 * {@code @IdempotentListener}: invisible until commit, gone after a rollback, a concurrent insert
 * or claim of the same key waits for the transaction and never wins a second time, an existing row
 * (live, in progress or expired) is left to the ordinary claim.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ReplicatedPostgres(replicas = 0)
class InsertCompletedInTransactionTest {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration RETENTION = Duration.ofHours(1);
  private static final RequestFingerprint FP = RequestFingerprint.sha256("payment 42");
  private static final StoredOutcome DONE = StoredOutcome.of(204, new byte[0]);

  private final PostgresCluster cluster;
  private final MutableClock clock = MutableClock.create();
  private final AtomicInteger keys = new AtomicInteger();
  private DataSource ds;
  private String table;
  private String effects;
  private JdbcIdempotencyStore store;
  private StoreWithBusinessTable db;

  InsertCompletedInTransactionTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  @BeforeAll
  void setUp() throws SQLException {
    ds = cluster.primary().dataSource();
    db = StoreWithBusinessTable.create(ds, "idem_ins", "_fx", "(k VARCHAR(100) NOT NULL)", clock);
    table = db.table;
    effects = db.business;
    store = db.store;
  }

  @AfterAll
  void tearDown() {
    db.close();
  }

  private IdempotencyKey newKey() {
    return IdempotencyKey.of("ledger", "apply", "k-" + keys.incrementAndGet());
  }

  private Connection begin() throws SQLException {
    return db.begin();
  }

  @Test
  void invisibleUntilCommitThenReplayedAndMismatchDetected() throws SQLException {
    IdempotencyKey key = newKey();
    try (Connection c = begin()) {
      assertThat(store.insertCompletedInTransaction(c, key, FP, DONE, RETENTION)).isPresent();
      assertThat(store.find(key)).isEmpty();
      c.commit();
    }
    assertThat(store.find(key).orElseThrow().state()).isEqualTo(RecordState.COMPLETED);
    assertThat(store.claim(key, FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);
    assertThat(store.claim(key, RequestFingerprint.sha256("payment 43"), LEASE))
        .isInstanceOf(ClaimResult.Mismatch.class);
    try (Connection c = begin()) {
      assertThat(store.insertCompletedInTransaction(c, key, FP, DONE, RETENTION)).isEmpty();
      c.rollback();
    }
  }

  @Test
  void rollbackLeavesTheKeyClaimable() throws SQLException {
    IdempotencyKey key = newKey();
    try (Connection c = begin()) {
      assertThat(store.insertCompletedInTransaction(c, key, FP, DONE, RETENTION)).isPresent();
      c.rollback();
    }
    assertThat(store.find(key)).isEmpty();
    assertThat(store.claim(key, FP, LEASE)).isInstanceOf(ClaimResult.Acquired.class);
  }

  @Test
  void anExistingRowIsLeftToTheOrdinaryClaim() throws SQLException {
    IdempotencyKey inProgress = newKey();
    assertThat(store.claim(inProgress, FP, LEASE)).isInstanceOf(ClaimResult.Acquired.class);
    IdempotencyKey expired = newKey();
    assertThat(store.claim(expired, FP, Duration.ofSeconds(1)))
        .isInstanceOf(ClaimResult.Acquired.class);
    clock.advance(Duration.ofSeconds(2));
    try (Connection c = begin()) {
      assertThat(store.insertCompletedInTransaction(c, inProgress, FP, DONE, RETENTION)).isEmpty();
      assertThat(store.insertCompletedInTransaction(c, expired, FP, DONE, RETENTION)).isEmpty();
      c.commit();
    }
    assertThat(store.find(inProgress).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(store.claim(expired, FP, LEASE)).isInstanceOf(ClaimResult.Acquired.class);
  }

  @Test
  void deleteInTransactionRemovesOnlyTheCallersRow() throws SQLException {
    IdempotencyKey key = newKey();
    try (Connection c = begin()) {
      String token = store.insertCompletedInTransaction(c, key, FP, DONE, RETENTION).orElseThrow();
      assertThat(store.deleteInTransaction(c, key, "someone-else")).isFalse();
      assertThat(store.deleteInTransaction(c, key, token)).isTrue();
      c.commit();
    }
    assertThat(store.find(key)).isEmpty();
  }

  /** A second transaction's insert and an ordinary claim wait for the first, then never win. */
  @Test
  void concurrentInsertAndClaimWaitForTheOpenTransaction() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (boolean commit : new boolean[] {true, false}) {
        IdempotencyKey key = newKey();
        try (Connection first = begin()) {
          assertThat(store.insertCompletedInTransaction(first, key, FP, DONE, RETENTION))
              .isPresent();
          Future<Optional<String>> second =
              pool.submit(
                  () -> {
                    try (Connection c = begin()) {
                      Optional<String> r =
                          store.insertCompletedInTransaction(c, key, FP, DONE, RETENTION);
                      c.commit();
                      return r;
                    }
                  });
          Future<ClaimResult> claim = pool.submit(() -> store.claim(key, FP, LEASE));
          // Both are blocked on the first transaction's uncommitted primary key.
          awaitWaitingOnLock(2);
          assertThat(second.isDone()).isFalse();
          assertThat(claim.isDone()).isFalse();
          if (commit) {
            first.commit();
          } else {
            first.rollback();
          }
          Optional<String> secondResult = second.get(30, TimeUnit.SECONDS);
          ClaimResult claimResult = claim.get(30, TimeUnit.SECONDS);
          if (commit) {
            assertThat(secondResult).isEmpty();
            assertThat(claimResult).isInstanceOf(ClaimResult.Completed.class);
          } else {
            // Exactly one of the two waiting ones owns the key now.
            boolean insertWon = secondResult.isPresent();
            boolean claimWon = claimResult instanceof ClaimResult.Acquired;
            assertThat(insertWon ^ claimWon)
                .as("insert %s, claim %s", secondResult, claimResult)
                .isTrue();
          }
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Many threads deliver the same keys through {@link TransactionalIdempotentConsumer}, whose
   * handler fails at random (the transaction rolls back, the delivery is retried): every key's
   * effect is in the table exactly once, and a redelivery with another payload is a mismatch.
   */
  @Test
  void consumerRaceGivesExactlyOneEffectPerKey() throws Exception {
    String scope = "race-" + keys.incrementAndGet();
    TransactionalIdempotentConsumer<String> inbox =
        TransactionalIdempotentConsumer.<String>builder(
                Idempotency.of(store),
                ds,
                scope,
                "apply",
                k -> k,
                k -> RequestFingerprint.sha256("payload of " + k),
                (k, c) -> {
                  try (PreparedStatement ps =
                      c.prepareStatement("INSERT INTO " + effects + " (k) VALUES (?)")) {
                    ps.setString(1, scope + "/" + k);
                    ps.executeUpdate();
                  }
                  if (ThreadLocalRandom.current().nextInt(4) == 0) {
                    throw new SQLException("handler failed after its write");
                  }
                })
            .build();
    int distinct = 150;
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicInteger stored = new AtomicInteger();
    AtomicInteger replayed = new AtomicInteger();
    try {
      List<CompletableFuture<Void>> all = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        all.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int i = 0; i < distinct; i++) {
                    String k = "m-" + i;
                    for (int attempt = 0; ; attempt++) {
                      try {
                        IdempotencyResult.Status s = inbox.process(k);
                        (s == IdempotencyResult.Status.STORED ? stored : replayed)
                            .incrementAndGet();
                        break;
                      } catch (SQLException | RuntimeException e) {
                        if (attempt > 200) {
                          throw new AssertionError("key " + k + " never processed", e);
                        }
                      }
                    }
                  }
                },
                pool));
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
    } finally {
      pool.shutdownNow();
    }
    assertThat(stored.get()).isEqualTo(distinct);
    assertThat(replayed.get()).isEqualTo(distinct * (threads - 1));
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*), count(DISTINCT k) FROM " + effects + " WHERE k LIKE ?")) {
      ps.setString(1, scope + "/%");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(distinct);
        assertThat(rs.getLong(2)).isEqualTo(distinct);
      }
    }
    TransactionalIdempotentConsumer<String> other =
        TransactionalIdempotentConsumer.<String>builder(
                Idempotency.of(store),
                ds,
                scope,
                "apply",
                k -> k,
                k -> RequestFingerprint.sha256("another payload"),
                (k, c) -> Assertions.fail("a mismatch must not run the handler"))
            .build();
    Assertions.assertThatThrownBy(() -> other.process("m-0"))
        .isInstanceOf(IdempotencyKeyMismatchException.class);
  }

  /**
   * Where the dialect has no lock-free insert (H2 here; MariaDB, the partitioned layout) nothing is
   * written, no round trip is made, and the consumer takes the engine's claim path: still one
   * effect per key and a replay of the duplicate.
   */
  @Test
  void withoutTheStatementTheConsumerClaimsAsBefore() throws SQLException {
    DataSource h2 = TestDatabases.h2();
    JdbcIdempotencyStore h2Store =
        JdbcIdempotencyStore.create(
            h2,
            JdbcIdempotencyStoreConfig.custom()
                .tableName("idem_h2")
                .initializeSchema(true)
                .build());
    assertThat(h2Store.supportsInsertCompletedInTransaction()).isFalse();
    IdempotencyKey key = newKey();
    try (Connection c = h2.getConnection()) {
      c.setAutoCommit(false);
      assertThat(h2Store.insertCompletedInTransaction(c, key, FP, DONE, RETENTION)).isEmpty();
      c.commit();
    }
    assertThat(h2Store.find(key)).isEmpty();
    try (Connection c = h2.getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE fx_h2 (k VARCHAR(100) NOT NULL)");
    }
    AtomicInteger runs = new AtomicInteger();
    TransactionalIdempotentConsumer<String> inbox =
        TransactionalIdempotentConsumer.<String>builder(
                Idempotency.of(h2Store),
                h2,
                "h2",
                "apply",
                k -> k,
                k -> FP,
                (k, c) -> {
                  runs.incrementAndGet();
                  try (PreparedStatement ps = c.prepareStatement("INSERT INTO fx_h2 VALUES (?)")) {
                    ps.setString(1, k);
                    ps.executeUpdate();
                  }
                })
            .build();
    assertThat(inbox.process("m-1")).isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(inbox.process("m-1")).isEqualTo(IdempotencyResult.Status.REPLAYED);
    assertThat(runs).hasValue(1);
  }

  private void awaitWaitingOnLock(int count) throws Exception {
    db.awaitPostgresLockWaiters(count, count + " sessions never waited on the open transaction");
  }
}
