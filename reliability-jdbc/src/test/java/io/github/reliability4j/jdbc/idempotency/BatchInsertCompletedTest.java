package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyKeyMismatchException;
import io.github.reliability4j.core.idempotency.InvalidIdempotencyKeyException;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.jdbc.idempotency.TransactionalIdempotentConsumer.BatchResult;
import io.github.reliability4j.jdbc.idempotency.TransactionalIdempotentConsumer.BatchResult.Outcome;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The batch path of the transactional inbox on embedded PostgreSQL: {@link
 * JdbcIdempotencyStore#insertCompletedBatchInTransaction} (one statement for a whole poll) and
 * {@link TransactionalIdempotentConsumer#processBatch}. Tries to break it with duplicates inside a
 * batch and across batches, mismatches in both, invalid keys, a handler failing mid-batch (nothing
 * recorded), two open batches sharing keys in opposite orders (no deadlock, no second win), many
 * threads redelivering overlapping batches with random failures (one effect per key), a 0.1.0
 * table, and the databases without the statement (H2 here), which give the same outcomes through
 * the claim path.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ReplicatedPostgres(replicas = 0)
class BatchInsertCompletedTest {

  private static final Duration RETENTION = Duration.ofHours(1);
  private static final StoredOutcome DONE = StoredOutcome.of(204, new byte[0]);

  private final PostgresCluster cluster;
  private final MutableClock clock = MutableClock.create();
  private final AtomicInteger scopes = new AtomicInteger();
  private DataSource ds;
  private CountingDataSource counting;
  private String table;
  private String effects;
  private JdbcIdempotencyStore store;
  private StoreWithBusinessTable db;

  /** A message as a consumer hands it over: key (may be null), payload. */
  record Msg(String key, String body) {}

  BatchInsertCompletedTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  @BeforeAll
  void setUp() throws SQLException {
    ds = cluster.primary().dataSource();
    counting = new CountingDataSource(ds);
    db =
        StoreWithBusinessTable.create(
            ds, "idem_batch", "_fx", "(k VARCHAR(300) NOT NULL, body TEXT)", clock);
    table = db.table;
    effects = db.business;
    store = db.store;
  }

  @AfterAll
  void tearDown() {
    db.close();
  }

  private String newScope() {
    return "batch-" + scopes.incrementAndGet();
  }

  private TransactionalIdempotentConsumer<Msg> inbox(
      JdbcIdempotencyStore on, DataSource db, String scope, AtomicInteger runs) {
    return TransactionalIdempotentConsumer.<Msg>builder(
            Idempotency.of(on),
            db,
            scope,
            "apply",
            Msg::key,
            m -> RequestFingerprint.sha256(m.body()),
            (m, c) -> {
              runs.incrementAndGet();
              if (m.body().startsWith("fail")) {
                throw new SQLException("handler failed on " + m.key());
              }
              try (PreparedStatement ps =
                  c.prepareStatement("INSERT INTO " + effects + " (k, body) VALUES (?, ?)")) {
                ps.setString(1, scope + "/" + m.key());
                ps.setString(2, m.body());
                ps.executeUpdate();
              }
            })
        .build();
  }

  @Test
  void duplicatesInsideAndAcrossBatchesAreSkippedAndMismatchesRejected() throws SQLException {
    String scope = newScope();
    AtomicInteger runs = new AtomicInteger();
    TransactionalIdempotentConsumer<Msg> inbox = inbox(store, counting.dataSource, scope, runs);
    List<Msg> first =
        List.of(
            new Msg("a", "pay a"),
            new Msg("b", "pay b"),
            new Msg("a", "pay a"), // duplicate inside the batch
            new Msg("b", "pay b changed"), // mismatch inside the batch
            new Msg(null, "no key"),
            new Msg("bell\u0007", "control character"),
            new Msg("c", "pay c"));
    counting.reset();
    BatchResult r1 = inbox.processBatch(first);
    assertThat(outcomes(r1))
        .containsExactly(
            Outcome.PROCESSED,
            Outcome.PROCESSED,
            Outcome.DUPLICATE,
            Outcome.REJECTED,
            Outcome.REJECTED,
            Outcome.REJECTED,
            Outcome.PROCESSED);
    assertThat(r1.rejection(3).orElseThrow()).isInstanceOf(IdempotencyKeyMismatchException.class);
    assertThat(r1.rejection(4).orElseThrow()).isInstanceOf(InvalidIdempotencyKeyException.class);
    assertThat(r1.rejection(5).orElseThrow()).isInstanceOf(InvalidIdempotencyKeyException.class);
    assertThat(r1.rejection(0)).isEmpty();
    // 3 new keys: 3 business inserts + 1 key statement + 1 commit.
    assertThat(counting.reset()).isEqualTo(5);
    assertThat(runs).hasValue(3);

    List<Msg> second =
        List.of(
            new Msg("a", "pay a"), // duplicate of the earlier batch
            new Msg("c", "pay c changed"), // mismatch with the earlier batch
            new Msg("d", "pay d"),
            new Msg("c", "pay c"), // decided against the store after the mismatch: duplicate
            new Msg("d", "pay d"));
    BatchResult r2 = inbox.processBatch(second);
    assertThat(outcomes(r2))
        .containsExactly(
            Outcome.DUPLICATE,
            Outcome.REJECTED,
            Outcome.PROCESSED,
            Outcome.DUPLICATE,
            Outcome.DUPLICATE);
    assertThat(r2.rejection(1).orElseThrow()).isInstanceOf(IdempotencyKeyMismatchException.class);
    assertThat(runs).hasValue(4);
    assertThat(r2.count(Outcome.DUPLICATE)).isEqualTo(3);
    assertEffects(scope, "a", "b", "c", "d");
  }

  @Test
  void aHandlerFailingMidBatchRecordsNoKeyAndTheRedeliveryProcessesAll() throws SQLException {
    String scope = newScope();
    AtomicInteger runs = new AtomicInteger();
    TransactionalIdempotentConsumer<Msg> inbox = inbox(store, ds, scope, runs);
    List<Msg> batch = List.of(new Msg("x", "pay x"), new Msg("y", "fail y"), new Msg("z", "pay z"));
    assertThatThrownBy(() -> inbox.processBatch(batch)).isInstanceOf(SQLException.class);
    for (String k : List.of("x", "y", "z")) {
      assertThat(store.find(IdempotencyKey.of(scope, "apply", k))).as(k).isEmpty();
    }
    assertEffects(scope);
    List<Msg> redelivered =
        List.of(new Msg("x", "pay x"), new Msg("y", "pay y"), new Msg("z", "pay z"));
    BatchResult r = inbox.processBatch(redelivered);
    assertThat(r.count(Outcome.PROCESSED)).isEqualTo(3);
    assertEffects(scope, "x", "y", "z");
    assertThat(inbox.processBatch(redelivered).count(Outcome.DUPLICATE)).isEqualTo(3);
  }

  /**
   * Two open transactions insert the same keys in opposite orders: the statement sorts them, so the
   * second waits for the first instead of deadlocking, and after the first commits it inserts
   * nothing; after a rollback it inserts every key.
   */
  @Test
  void overlappingOpenBatchesWaitInOneOrderAndNeverBothWin() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      for (boolean commit : new boolean[] {true, false}) {
        String scope = newScope();
        List<IdempotencyKey> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          keys.add(IdempotencyKey.of(scope, "apply", "k-" + i));
        }
        List<IdempotencyKey> reversed = new ArrayList<>(keys);
        Collections.reverse(reversed);
        try (Connection first = begin()) {
          assertThat(store.insertCompletedBatchInTransaction(first, fps(keys), DONE, RETENTION))
              .hasSize(20);
          Future<Map<IdempotencyKey, String>> second =
              pool.submit(
                  () -> {
                    try (Connection c = begin()) {
                      Map<IdempotencyKey, String> r =
                          store.insertCompletedBatchInTransaction(
                              c, fps(reversed), DONE, RETENTION);
                      c.commit();
                      return r;
                    }
                  });
          awaitWaitingOnLock();
          assertThat(second.isDone()).isFalse();
          // The rows are invisible to everyone until the commit.
          assertThat(store.find(keys.get(0))).isEmpty();
          if (commit) {
            first.commit();
          } else {
            first.rollback();
          }
          Map<IdempotencyKey, String> won = second.get(60, TimeUnit.SECONDS);
          assertThat(won).hasSize(commit ? 0 : 20);
        }
        for (IdempotencyKey key : keys) {
          assertThat(store.find(key).orElseThrow().state()).isEqualTo(RecordState.COMPLETED);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** A key with a committed row, live or expired, is left to the claim and never locked. */
  @Test
  void existingRowsAreSkippedAndLeftToTheClaim() throws SQLException {
    String scope = newScope();
    RequestFingerprint fp = RequestFingerprint.sha256("p");
    IdempotencyKey inProgress = IdempotencyKey.of(scope, "apply", "in-progress");
    IdempotencyKey expired = IdempotencyKey.of(scope, "apply", "expired");
    IdempotencyKey fresh = IdempotencyKey.of(scope, "apply", "fresh");
    assertThat(store.claim(inProgress, fp, Duration.ofMinutes(5)))
        .isInstanceOf(ClaimResult.Acquired.class);
    assertThat(store.claim(expired, fp, Duration.ofSeconds(1)))
        .isInstanceOf(ClaimResult.Acquired.class);
    clock.advance(Duration.ofSeconds(2));
    Map<IdempotencyKey, RequestFingerprint> keys = new LinkedHashMap<>();
    keys.put(inProgress, fp);
    keys.put(expired, fp);
    keys.put(fresh, fp);
    try (Connection c = begin()) {
      assertThat(store.insertCompletedBatchInTransaction(c, keys, DONE, RETENTION))
          .containsOnlyKeys(fresh);
      c.commit();
    }
    assertThat(store.find(inProgress).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(store.claim(expired, fp, Duration.ofSeconds(30)))
        .isInstanceOf(ClaimResult.Acquired.class);
    assertThat(store.claim(fresh, fp, Duration.ofSeconds(30)))
        .isInstanceOf(ClaimResult.Completed.class);
    assertThat(store.claim(fresh, RequestFingerprint.sha256("other"), Duration.ofSeconds(30)))
        .isInstanceOf(ClaimResult.Mismatch.class);
  }

  /**
   * Four consumers redeliver overlapping, shuffled batches of the same keys (same payloads) while
   * the handler fails at random (the batch rolls back and is redelivered): every key has exactly
   * one effect and was processed exactly once.
   */
  @Test
  void concurrentOverlappingBatchesGiveExactlyOneEffectPerKey() throws Exception {
    String scope = newScope();
    AtomicInteger processed = new AtomicInteger();
    AtomicInteger runs = new AtomicInteger();
    TransactionalIdempotentConsumer<Msg> inbox =
        TransactionalIdempotentConsumer.<Msg>builder(
                Idempotency.of(store),
                ds,
                scope,
                "apply",
                Msg::key,
                m -> RequestFingerprint.sha256(m.body()),
                (m, c) -> {
                  runs.incrementAndGet();
                  try (PreparedStatement ps =
                      c.prepareStatement("INSERT INTO " + effects + " (k, body) VALUES (?, ?)")) {
                    ps.setString(1, scope + "/" + m.key());
                    ps.setString(2, m.body());
                    ps.executeUpdate();
                  }
                  if (ThreadLocalRandom.current().nextInt(40) == 0) {
                    throw new SQLException("handler failed after its write");
                  }
                })
            .build();
    int distinct = 400;
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<CompletableFuture<Void>> all = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long seed = t;
        all.add(
            CompletableFuture.runAsync(
                () -> {
                  Random random = new Random(seed);
                  List<Msg> messages = new ArrayList<>();
                  for (int i = 0; i < distinct; i++) {
                    messages.add(new Msg("m-" + i, "payload " + i));
                    if (random.nextInt(5) == 0) {
                      messages.add(new Msg("m-" + i, "payload " + i));
                    }
                  }
                  Collections.shuffle(messages, random);
                  for (int from = 0; from < messages.size(); ) {
                    int to = Math.min(messages.size(), from + 1 + random.nextInt(60));
                    List<Msg> batch = messages.subList(from, to);
                    for (int attempt = 0; ; attempt++) {
                      try {
                        BatchResult r = inbox.processBatch(batch);
                        assertThat(r.count(Outcome.REJECTED)).isZero();
                        processed.addAndGet(r.count(Outcome.PROCESSED));
                        break;
                      } catch (SQLException | RuntimeException e) {
                        if (attempt > 200) {
                          throw new AssertionError("batch never processed", e);
                        }
                      }
                    }
                    from = to;
                  }
                },
                pool));
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
    } finally {
      pool.shutdownNow();
    }
    assertThat(processed).hasValue(distinct);
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
  }

  /** A 0.1.0 table (hex digests, no purge_at) is written in its own format by the batch insert. */
  @Test
  void aTableOfRowFormat1IsWrittenInItsFormat() throws SQLException {
    String old = TestDatabases.uniqueTable("idem_batch_v1");
    try {
      try (Connection c = ds.getConnection()) {
        JdbcIdempotencySchema.apply(
            c, JdbcIdempotencySchema.RESOURCE_DIRECTORY + "v010/schema-postgresql.sql", old);
      }
      JdbcIdempotencyStore v1 =
          JdbcIdempotencyStore.create(
              ds, JdbcIdempotencyStoreConfig.custom().tableName(old).clock(clock).build());
      assertThat(v1.rowFormat()).isEqualTo("V1_HEX");
      String scope = newScope();
      AtomicInteger runs = new AtomicInteger();
      TransactionalIdempotentConsumer<Msg> inbox = inbox(v1, ds, scope, runs);
      List<Msg> batch = List.of(new Msg("p", "pay p"), new Msg("q", "pay q"));
      assertThat(inbox.processBatch(batch).count(Outcome.PROCESSED)).isEqualTo(2);
      assertThat(inbox.processBatch(batch).count(Outcome.DUPLICATE)).isEqualTo(2);
      try (Connection c = ds.getConnection();
          PreparedStatement ps =
              c.prepareStatement("SELECT key_hash FROM " + old + " WHERE client_key = 'p'")) {
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString(1)).isEqualTo(KeyHash.of(scope, "apply", "p"));
        }
      }
      assertEffects(scope, "p", "q");
    } finally {
      TestDatabases.dropTable(ds, old);
    }
  }

  /**
   * Where the dialect has no one-statement insert (H2 here; MariaDB, MySQL and the partitioned
   * layout likewise), nothing is written by the batch statement and every key goes the claim path:
   * the same outcomes, one transaction per new message.
   */
  @Test
  void withoutTheStatementEveryKeyGoesTheClaimPathWithTheSameOutcomes() throws SQLException {
    DataSource h2 = TestDatabases.h2();
    JdbcIdempotencyStore h2Store =
        JdbcIdempotencyStore.create(
            h2,
            JdbcIdempotencyStoreConfig.custom()
                .tableName("idem_batch_h2")
                .initializeSchema(true)
                .build());
    IdempotencyKey key = IdempotencyKey.of("h2", "apply", "k");
    try (Connection c = h2.getConnection()) {
      c.setAutoCommit(false);
      assertThat(
              h2Store.insertCompletedBatchInTransaction(
                  c, Map.of(key, RequestFingerprint.sha256("p")), DONE, RETENTION))
          .isEmpty();
      c.commit();
    }
    assertThat(h2Store.find(key)).isEmpty();
    try (Connection c = h2.getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE " + effects + " (k VARCHAR(300) NOT NULL, body VARCHAR(300))");
    }
    AtomicInteger runs = new AtomicInteger();
    TransactionalIdempotentConsumer<Msg> inbox = inbox(h2Store, h2, "h2", runs);
    BatchResult r =
        inbox.processBatch(
            List.of(
                new Msg("a", "pay a"),
                new Msg("a", "pay a"),
                new Msg("a", "pay a changed"),
                new Msg("b", "pay b")));
    assertThat(outcomes(r))
        .containsExactly(Outcome.PROCESSED, Outcome.DUPLICATE, Outcome.REJECTED, Outcome.PROCESSED);
    assertThat(outcomes(inbox.processBatch(List.of(new Msg("b", "pay b")))))
        .containsExactly(Outcome.DUPLICATE);
    assertThat(runs).hasValue(2);
  }

  private static List<Outcome> outcomes(BatchResult r) {
    List<Outcome> list = new ArrayList<>();
    for (int i = 0; i < r.size(); i++) {
      list.add(r.outcome(i));
    }
    return list;
  }

  private static Map<IdempotencyKey, RequestFingerprint> fps(List<IdempotencyKey> keys) {
    Map<IdempotencyKey, RequestFingerprint> map = new LinkedHashMap<>();
    for (IdempotencyKey k : keys) {
      map.put(k, RequestFingerprint.sha256("payload of " + k.clientKey()));
    }
    return map;
  }

  private Connection begin() throws SQLException {
    return db.begin();
  }

  private void assertEffects(String scope, String... keys) throws SQLException {
    List<String> found = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT k FROM " + effects + " WHERE k LIKE ? ORDER BY k")) {
      ps.setString(1, scope + "/%");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.add(rs.getString(1).substring(scope.length() + 1));
        }
      }
    }
    assertThat(found).containsExactly(keys);
  }

  private void awaitWaitingOnLock() throws Exception {
    db.awaitPostgresLockWaiters(1, "the second batch never waited on the open transaction");
  }
}
