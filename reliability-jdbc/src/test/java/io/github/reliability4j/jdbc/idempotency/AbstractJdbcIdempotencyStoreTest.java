package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyRecord;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.test.idempotency.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * JDBC-specific behaviour of {@link JdbcIdempotencyStore}, run on every supported database by the
 * subclasses: the SPI decisions, fencing, takeover, stored outcome fidelity, round-trip counts,
 * size limits, purge and the schema errors.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AbstractJdbcIdempotencyStoreTest {

  static final Duration LEASE = Duration.ofSeconds(30);
  static final Duration RETENTION = Duration.ofHours(24);
  static final RequestFingerprint FP = RequestFingerprint.sha256("request-1");
  static final RequestFingerprint OTHER_FP = RequestFingerprint.sha256("request-2");

  final MutableClock clock = MutableClock.create();
  DataSource raw;
  CountingDataSource counting;
  String table;
  JdbcIdempotencyStore store;
  private final AtomicInteger keys = new AtomicInteger();

  /** The database under test; may skip (assumption) when a machine service is down. */
  abstract DataSource dataSource();

  abstract String expectedDialect();

  /** Round trips of a claim that finds a live record (MySQL without RETURNING needs two). */
  int duplicateClaimRoundTrips() {
    return 1;
  }

  @BeforeAll
  void createStore() {
    raw = dataSource();
    counting = new CountingDataSource(raw);
    table = TestDatabases.uniqueTable("idem_" + expectedDialect().toLowerCase());
    store =
        JdbcIdempotencyStore.create(
            counting.dataSource,
            JdbcIdempotencyStoreConfig.custom()
                .tableName(table)
                .clock(clock)
                .initializeSchema(true)
                .purgeBatchSize(3)
                .build());
  }

  @AfterAll
  void dropTable() {
    if (raw != null && table != null) {
      TestDatabases.dropTable(raw, table);
    }
  }

  IdempotencyKey newKey() {
    return IdempotencyKey.of("tenant-a", "create-order", "key-" + keys.incrementAndGet());
  }

  static String token(ClaimResult r) {
    assertThat(r).isInstanceOf(ClaimResult.Acquired.class);
    return ((ClaimResult.Acquired) r).ownerToken();
  }

  @Test
  void detectsDialect() {
    assertThat(store.getDialectName()).contains(expectedDialect());
  }

  @Test
  void claimIsExclusiveAndDuplicatesSeeInProgressOrMismatch() {
    IdempotencyKey key = newKey();
    ClaimResult first = store.claim(key, FP, LEASE);
    assertThat(first)
        .isEqualTo(new ClaimResult.Acquired(token(first), clock.instant().plus(LEASE), false));

    assertThat(store.claim(key, FP, LEASE))
        .isEqualTo(new ClaimResult.InProgress(clock.instant().plus(LEASE)));
    assertThat(store.claim(key, OTHER_FP, LEASE))
        .isEqualTo(new ClaimResult.Mismatch(RecordState.IN_PROGRESS));
    assertThat(store.find(key))
        .get()
        .satisfies(
            rec -> {
              assertThat(rec.state()).isEqualTo(RecordState.IN_PROGRESS);
              assertThat(rec.ownerToken()).isEqualTo(token(first));
              assertThat(rec.fingerprint()).isEqualTo(FP);
            });
  }

  @Test
  void completedOutcomeIsReplayedByteForByte() {
    IdempotencyKey key = newKey();
    String owner = token(store.claim(key, FP, LEASE));
    byte[] body = new byte[256];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) i;
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("Content-Type", "application/json; charset=utf-8");
    metadata.put("Location", "/orders/\u00e9\u4e2d\ud83d\ude00");
    metadata.put("Empty", "");
    StoredOutcome outcome = StoredOutcome.of(201, metadata, body);

    assertThat(store.complete(key, owner, outcome, RETENTION)).isTrue();

    Instant retentionExpiry = clock.instant().plus(RETENTION);
    ClaimResult replay = store.claim(key, FP, LEASE);
    assertThat(replay).isEqualTo(new ClaimResult.Completed(outcome, retentionExpiry));
    assertThat(((ClaimResult.Completed) replay).outcome().metadata().keySet())
        .containsExactly("Content-Type", "Location", "Empty");
    assertThat(store.claim(key, OTHER_FP, LEASE))
        .isEqualTo(new ClaimResult.Mismatch(RecordState.COMPLETED));
    IdempotencyRecord rec = store.find(key).orElseThrow();
    assertThat(rec.state()).isEqualTo(RecordState.COMPLETED);
    assertThat(rec.outcome()).isEqualTo(outcome);
    assertThat(rec.ownerToken()).isNull();
    assertThat(rec.expiry()).isEqualTo(retentionExpiry);
  }

  @Test
  void emptyOutcomeRoundTrips() {
    IdempotencyKey key = newKey();
    String owner = token(store.claim(key, FP, LEASE));
    StoredOutcome empty = StoredOutcome.of(StoredOutcome.STATUS_NO_CONTENT, new byte[0]);
    assertThat(store.complete(key, owner, empty, RETENTION)).isTrue();
    assertThat(store.claim(key, FP, LEASE))
        .isEqualTo(new ClaimResult.Completed(empty, clock.instant().plus(RETENTION)));
  }

  @Test
  void expiredLeaseIsTakenOverAndTheOldOwnerIsFencedOff() {
    IdempotencyKey key = newKey();
    String oldOwner = token(store.claim(key, FP, LEASE));
    clock.advance(LEASE);

    assertThat(store.find(key)).isEmpty();
    // An expired in-progress record counts as absent: a different request may take the key.
    ClaimResult takeover = store.claim(key, OTHER_FP, LEASE);
    assertThat(takeover)
        .isEqualTo(new ClaimResult.Acquired(token(takeover), clock.instant().plus(LEASE), true));
    String newOwner = token(takeover);
    assertThat(newOwner).isNotEqualTo(oldOwner);

    assertThat(store.complete(key, oldOwner, StoredOutcome.ok("late"), RETENTION)).isFalse();
    assertThat(store.release(key, oldOwner)).isFalse();
    assertThat(store.renew(key, oldOwner, LEASE)).isEmpty();
    assertThat(store.find(key).orElseThrow().ownerToken()).isEqualTo(newOwner);

    assertThat(store.complete(key, newOwner, StoredOutcome.ok("winner"), RETENTION)).isTrue();
    assertThat(store.claim(key, OTHER_FP, LEASE))
        .isEqualTo(
            new ClaimResult.Completed(StoredOutcome.ok("winner"), clock.instant().plus(RETENTION)));
  }

  @Test
  void ownerWhoseLeaseExpiredCannotCompleteEvenWithoutTakeover() {
    IdempotencyKey key = newKey();
    String owner = token(store.claim(key, FP, LEASE));
    clock.advance(LEASE.plusMillis(1));
    assertThat(store.complete(key, owner, StoredOutcome.ok("late"), RETENTION)).isFalse();
    assertThat(store.renew(key, owner, LEASE)).isEmpty();
    assertThat(store.release(key, owner)).isFalse();
  }

  @Test
  void expiredCompletedRecordIsGoneAndClaimIsNotATakeover() {
    IdempotencyKey key = newKey();
    String owner = token(store.claim(key, FP, LEASE));
    assertThat(store.complete(key, owner, StoredOutcome.ok("x"), Duration.ofHours(1))).isTrue();
    clock.advance(Duration.ofHours(1));
    assertThat(store.find(key)).isEmpty();
    ClaimResult again = store.claim(key, OTHER_FP, LEASE);
    assertThat(again).isInstanceOf(ClaimResult.Acquired.class);
    assertThat(((ClaimResult.Acquired) again).takeover()).isFalse();
    assertThat(store.find(key).orElseThrow().outcome()).isNull();
  }

  @Test
  void releaseFreesTheKeyAtOnceButOnlyForTheOwner() {
    IdempotencyKey key = newKey();
    String owner = token(store.claim(key, FP, LEASE));
    assertThat(store.release(key, "not-the-owner")).isFalse();
    assertThat(store.complete(key, "not-the-owner", StoredOutcome.ok("x"), RETENTION)).isFalse();
    assertThat(store.release(key, owner)).isTrue();
    assertThat(store.release(key, owner)).isFalse();
    assertThat(store.find(key)).isEmpty();
    ClaimResult retry = store.claim(key, FP, LEASE);
    assertThat(((ClaimResult.Acquired) retry).takeover()).isFalse();
  }

  @Test
  void renewExtendsTheLease() {
    IdempotencyKey key = newKey();
    String owner = token(store.claim(key, FP, LEASE));
    clock.advance(Duration.ofSeconds(20));
    Optional<Instant> renewed = store.renew(key, owner, LEASE);
    assertThat(renewed).contains(clock.instant().plus(LEASE));
    clock.advance(Duration.ofSeconds(20)); // past the original lease, inside the renewed one
    assertThat(store.claim(key, FP, LEASE)).isEqualTo(new ClaimResult.InProgress(renewed.get()));
    assertThat(store.complete(key, owner, StoredOutcome.ok("done"), RETENTION)).isTrue();
    assertThat(store.renew(key, owner, LEASE)).as("completed records are not renewed").isEmpty();
  }

  @Test
  void keysAreScoped() {
    IdempotencyKey a = IdempotencyKey.of("tenant-a", "op", "same-client-key");
    IdempotencyKey b = IdempotencyKey.of("tenant-b", "op", "same-client-key");
    IdempotencyKey c = IdempotencyKey.of("tenant-a", "other-op", "same-client-key");
    // Length prefixes keep component boundaries: ("ab","c") differs from ("a","bc").
    IdempotencyKey d = IdempotencyKey.of("tenant-a", "opsame", "-client-key");
    for (IdempotencyKey k : List.of(a, b, c, d)) {
      assertThat(store.claim(k, FP, LEASE)).isInstanceOf(ClaimResult.Acquired.class);
    }
  }

  @Test
  void longAndUnicodeKeysFit() {
    String big = "\ud83d\ude00\u00e9x".repeat(IdempotencyKey.ABSOLUTE_MAX_LENGTH / 4);
    IdempotencyKey key = IdempotencyKey.of(big, big, big);
    String owner = token(store.claim(key, FP, LEASE));
    assertThat(store.complete(key, owner, StoredOutcome.ok("ok"), RETENTION)).isTrue();
    assertThat(store.claim(key, FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);
    IdempotencyKey caseVariant = IdempotencyKey.of(big, big, big.toUpperCase());
    assertThat(store.claim(caseVariant, FP, LEASE)).isInstanceOf(ClaimResult.Acquired.class);
  }

  @Test
  void commonPathsTakeOneRoundTripEach() {
    IdempotencyKey key = newKey();
    counting.reset();
    String owner = token(store.claim(key, FP, LEASE));
    assertThat(counting.reset()).as("claim of a new key").isEqualTo(1);
    store.claim(key, FP, LEASE);
    assertThat(counting.reset())
        .as("claim of a key in progress")
        .isEqualTo(duplicateClaimRoundTrips());
    store.renew(key, owner, LEASE);
    assertThat(counting.reset()).as("renew").isEqualTo(1);
    store.complete(key, owner, StoredOutcome.ok("body"), RETENTION);
    assertThat(counting.reset()).as("complete").isEqualTo(1);
    store.claim(key, FP, LEASE);
    assertThat(counting.reset())
        .as("duplicate claim replaying")
        .isEqualTo(duplicateClaimRoundTrips());
    store.find(key);
    assertThat(counting.reset()).as("find").isEqualTo(1);
    IdempotencyKey other = newKey();
    String otherOwner = token(store.claim(other, FP, LEASE));
    counting.reset();
    store.release(other, otherOwner);
    assertThat(counting.reset()).as("release").isEqualTo(1);
    clock.advance(LEASE);
    store.claim(key, OTHER_FP, LEASE);
    counting.reset();
    IdempotencyKey expiring = newKey();
    store.claim(expiring, FP, LEASE);
    clock.advance(LEASE);
    counting.reset();
    assertThat(((ClaimResult.Acquired) store.claim(expiring, FP, LEASE)).takeover()).isTrue();
    assertThat(counting.reset()).as("takeover claim").isEqualTo(1);
  }

  @Test
  void oversizedOutcomeIsRefusedBeforeWritingAndTheKeyIsReleased() {
    JdbcIdempotencyStore small =
        JdbcIdempotencyStore.create(
            counting.dataSource,
            JdbcIdempotencyStoreConfig.from(store.getConfig())
                .maxBodyBytes(10)
                .maxMetadataBytes(40)
                .initializeSchema(false)
                .build());
    IdempotencyKey key = newKey();
    String owner = token(small.claim(key, FP, LEASE));
    counting.reset();
    assertThatThrownBy(() -> small.complete(key, owner, StoredOutcome.ok("12345678901"), RETENTION))
        .isInstanceOfSatisfying(
            OutcomeTooLargeException.class,
            e -> {
              assertThat(e.getPart()).isEqualTo("body");
              assertThat(e.getSize()).isEqualTo(11);
              assertThat(e.getLimit()).isEqualTo(10);
              assertThat(e.isReleased()).isTrue();
              assertThat(e).hasMessageContaining("maxBodyBytes").hasMessageContaining("released");
            });
    assertThat(counting.reset()).as("only the release is sent, no write").isEqualTo(1);
    assertThat(small.find(key)).isEmpty();

    String second = token(small.claim(key, FP, LEASE));
    assertThatThrownBy(
            () ->
                small.complete(
                    key,
                    second,
                    StoredOutcome.of(200, Map.of("k", "v".repeat(40)), new byte[0]),
                    RETENTION))
        .isInstanceOf(OutcomeTooLargeException.class)
        .hasMessageContaining("metadata");
    assertThat(small.find(key)).isEmpty();

    String third = token(small.claim(key, FP, LEASE));
    assertThatThrownBy(
            () -> small.complete(key, second, StoredOutcome.ok("12345678901"), RETENTION))
        .isInstanceOfSatisfying(
            OutcomeTooLargeException.class,
            e -> assertThat(e.isReleased()).as("stale owner releases nothing").isFalse());
    assertThat(small.find(key).orElseThrow().ownerToken()).isEqualTo(third);
    assertThat(small.complete(key, third, StoredOutcome.ok("1234567890"), RETENTION)).isTrue();
  }

  @Test
  void manyThreadsRacingForOneKeyYieldExactlyOneOwner() throws Exception {
    int threads = 16;
    for (int round = 0; round < 5; round++) {
      IdempotencyKey key = newKey();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<ClaimResult>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  return store.claim(key, FP, LEASE);
                }));
      }
      start.countDown();
      int acquired = 0;
      for (Future<ClaimResult> f : results) {
        ClaimResult r = f.get(60, TimeUnit.SECONDS);
        if (r instanceof ClaimResult.Acquired) {
          acquired++;
        } else {
          assertThat(r).isInstanceOf(ClaimResult.InProgress.class);
        }
      }
      pool.shutdown();
      assertThat(acquired).isEqualTo(1);
    }
  }

  @Test
  void purgeDeletesOnlyExpiredRowsInBatches() {
    // A dedicated store on its own table: other tests' rows must not count.
    String purgeTable = table + "_p";
    MutableClock purgeClock = MutableClock.at(clock.instant());
    JdbcIdempotencyStore purging =
        JdbcIdempotencyStore.create(
            counting.dataSource,
            JdbcIdempotencyStoreConfig.custom()
                .tableName(purgeTable)
                .clock(purgeClock)
                .initializeSchema(true)
                .purgeBatchSize(3)
                .purgeMaxBatches(2)
                .build());
    try {
      List<IdempotencyKey> expired = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        IdempotencyKey k = IdempotencyKey.of("purge", "op", "expired-" + i);
        String owner = token(purging.claim(k, FP, LEASE));
        if (i % 2 == 0) {
          purging.complete(k, owner, StoredOutcome.ok("x"), Duration.ofMinutes(1));
        }
        expired.add(k);
      }
      purgeClock.advance(Duration.ofMinutes(1));
      List<IdempotencyKey> live = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        IdempotencyKey k = IdempotencyKey.of("purge", "op", "live-" + i);
        String owner = token(purging.claim(k, FP, LEASE));
        if (i % 2 == 0) {
          purging.complete(k, owner, StoredOutcome.ok("x"), RETENTION);
        }
        live.add(k);
      }
      counting.reset();
      assertThat(purging.purgeExpired()).as("bounded by purgeMaxBatches").isEqualTo(6);
      assertThat(counting.reset()).as("two batch statements").isEqualTo(2);
      assertThat(purging.purgeExpired()).isEqualTo(2);
      assertThat(purging.purgeExpired()).isZero();
      assertThat(countRows(purgeTable)).isEqualTo(live.size());
      for (IdempotencyKey k : live) {
        assertThat(purging.find(k)).isPresent();
      }
    } finally {
      TestDatabases.dropTable(raw, purgeTable);
    }
  }

  @Test
  void missingTableIsReportedWithTheDdlResource() {
    String missing = table + "_missing";
    assertThatThrownBy(
            () ->
                JdbcIdempotencyStore.create(
                    raw, JdbcIdempotencyStoreConfig.custom().tableName(missing).build()))
        .isInstanceOfSatisfying(
            IdempotencyTableMissingException.class,
            e -> {
              assertThat(e.getTableName()).isEqualTo(missing);
              assertThat(e.getSchemaResource())
                  .startsWith(JdbcIdempotencySchema.RESOURCE_DIRECTORY + "schema-")
                  .endsWith(".sql");
              assertThat(e)
                  .hasMessageContaining(missing)
                  .hasMessageContaining(e.getSchemaResource());
            });
  }

  @Test
  void tableDroppedAfterStartIsReportedOnUse() {
    String doomed = table + "_doomed";
    JdbcIdempotencyStore s =
        JdbcIdempotencyStore.create(
            raw,
            JdbcIdempotencyStoreConfig.custom().tableName(doomed).initializeSchema(true).build());
    TestDatabases.dropTable(raw, doomed);
    assertThatThrownBy(() -> s.claim(newKey(), FP, LEASE))
        .isInstanceOf(IdempotencyTableMissingException.class)
        .hasMessageContaining(doomed);
  }

  @Test
  void schemaInitializerIsIdempotent() throws Exception {
    JdbcIdempotencySchema.apply(raw, table);
    JdbcIdempotencySchema.apply(raw, table);
    assertThat(JdbcIdempotencySchema.resourceFor(raw)).endsWith(".sql");
  }

  @Test
  void pingReportsLatency() {
    assertThat(store.ping().isNegative()).isFalse();
    assertThat(store.ping(Duration.ofMillis(1500))).isTrue();
    counting.reset();
    store.ping(Duration.ofSeconds(1));
    assertThat(counting.reset()).as("one round trip").isEqualTo(1);
  }

  @Test
  void healthProbePassesWithLatencyAndFailsForAMissingTable() throws Exception {
    ProbeResult result =
        store
            .healthProbe()
            .check(new ProbeContext("idempotency-store", clock.instant(), Duration.ofSeconds(2)));
    assertThat(result.status()).isEqualTo(HealthStatus.PASS);
    assertThat(result.observedUnit()).isEqualTo("ms");
    assertThat(result.observedValue()).isInstanceOf(Double.class);

    String doomed = table + "_hp";
    JdbcIdempotencyStore s =
        JdbcIdempotencyStore.create(
            raw,
            JdbcIdempotencyStoreConfig.custom().tableName(doomed).initializeSchema(true).build());
    TestDatabases.dropTable(raw, doomed);
    assertThatThrownBy(
            () ->
                s.healthProbe()
                    .check(
                        new ProbeContext(
                            "idempotency-store", clock.instant(), Duration.ofSeconds(2))))
        .isInstanceOf(IdempotencyTableMissingException.class)
        .hasMessageContaining(doomed);
  }

  long countRows(String tableName) {
    try (var c = raw.getConnection();
        var st = c.createStatement();
        var rs = st.executeQuery("SELECT COUNT(*) FROM " + tableName)) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
