package io.github.reliability4j.test.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyRecord;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.IdempotentExecution;
import io.github.reliability4j.core.idempotency.OutcomeCodec;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link IdempotencyStore} must pass. Extend it, name the subclass {@code
 * *Test}, and implement {@link #createStore(java.time.Clock)}:
 *
 * <pre>{@code
 * class JdbcIdempotencyStoreContractTest extends AbstractIdempotencyStoreContract {
 *   protected IdempotencyStore createStore(Clock clock) { return JdbcIdempotencyStore...clock(clock)...; }
 * }
 * }</pre>
 *
 * <p>The store must read time only from the given clock (a {@link MutableClock} the tests move
 * forward; it starts at a whole second and moves in whole milliseconds). Every test uses keys in a
 * fresh random scope, so a store may share one database across tests. Stores must keep instants to
 * at least millisecond precision.
 *
 * <p>The class name does not end in {@code Test}, so surefire never runs it on its own.
 */
public abstract class AbstractIdempotencyStoreContract {

  protected static final Duration LEASE = Duration.ofSeconds(10);
  protected static final Duration RETENTION = Duration.ofMinutes(10);

  protected MutableClock clock;
  protected IdempotencyStore store;
  private String scope;

  /** Creates the store under test; it must take time only from {@code clock}. */
  protected abstract IdempotencyStore createStore(java.time.Clock clock);

  /** Called after each test to close what {@link #createStore} opened. Default: nothing. */
  protected void closeStore(IdempotencyStore store) throws Exception {}

  /**
   * A second store over the same data as {@link #createStore} that refuses outcomes larger than
   * {@code maxOutcomeBytes} (the store's own size limit: encoded size, or body size for a store
   * that limits the body), or {@code null} if the store has no such limit (the limit tests are then
   * skipped). A store with a limit must throw an {@link IllegalArgumentException} naming the limit
   * from {@code complete} before writing anything, and release the caller's key.
   */
  protected IdempotencyStore createStoreWithOutcomeLimit(
      java.time.Clock clock, int maxOutcomeBytes) {
    return null;
  }

  /**
   * Whether the store physically holds a record for {@code key} right now (for a store that drops
   * records by itself, e.g. by a Redis TTL), or {@code null} if the store cannot tell. Used by the
   * real-time expiry test to check that the physical record outlives the lease and goes after the
   * retention.
   */
  protected Boolean physicallyStored(IdempotencyStore store, IdempotencyKey key) {
    return null;
  }

  /** Threads of the engine race test; at least 32 for the in-memory store. */
  protected int raceThreads() {
    return 32;
  }

  /** Keys of the engine race test; at least 1,000 for the in-memory store. */
  protected int raceKeys() {
    return 1000;
  }

  @BeforeEach
  void setUpStore() {
    clock = MutableClock.create();
    store = createStore(clock);
    scope = "contract-" + UUID.randomUUID();
  }

  @AfterEach
  void tearDownStore() throws Exception {
    closeStore(store);
  }

  protected IdempotencyKey key(String clientKey) {
    return IdempotencyKey.of(scope, "contract-op", clientKey);
  }

  protected static RequestFingerprint fp(String s) {
    return RequestFingerprint.sha256(s);
  }

  protected static StoredOutcome outcome(int status, String body) {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("Content-Type", "application/json");
    metadata.put("X-Trace", "t-" + body);
    return StoredOutcome.of(status, metadata, body.getBytes(StandardCharsets.UTF_8));
  }

  private ClaimResult.Acquired acquire(IdempotencyKey key, RequestFingerprint fingerprint) {
    ClaimResult r = store.claim(key, fingerprint, LEASE);
    assertThat(r).isInstanceOf(ClaimResult.Acquired.class);
    return (ClaimResult.Acquired) r;
  }

  // ---- claim ----------------------------------------------------------------------------------

  @Test
  void claimOfNewKeyAcquiresWithLeaseFromStoreClock() {
    Instant now = clock.instant();
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    assertThat(a.takeover()).isFalse();
    assertThat(a.ownerToken()).isNotBlank();
    assertThat(a.leaseExpiry()).isEqualTo(now.plus(LEASE));
  }

  @Test
  void ownerTokensAreUniquePerClaim() {
    Set<String> tokens = new java.util.HashSet<>();
    for (int i = 0; i < 50; i++) {
      tokens.add(acquire(key("k" + i), fp("a")).ownerToken());
    }
    assertThat(tokens).hasSize(50);
  }

  @Test
  void secondClaimWithSameFingerprintSeesInProgress() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    clock.advance(Duration.ofSeconds(1));
    assertThat(store.claim(key("k"), fp("a"), LEASE))
        .isEqualTo(new ClaimResult.InProgress(a.leaseExpiry()));
  }

  @Test
  void claimWithDifferentFingerprintWhileInProgressIsMismatch() {
    acquire(key("k"), fp("a"));
    assertThat(store.claim(key("k"), fp("b"), LEASE))
        .isEqualTo(new ClaimResult.Mismatch(RecordState.IN_PROGRESS));
  }

  @Test
  void completedKeyReplaysOutcomeExactly() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    clock.advance(Duration.ofSeconds(2));
    Instant completedAt = clock.instant();
    StoredOutcome out = outcome(201, "{\"id\":1}");
    assertThat(store.complete(key("k"), a.ownerToken(), out, RETENTION)).isTrue();
    clock.advance(Duration.ofSeconds(1));
    ClaimResult r = store.claim(key("k"), fp("a"), LEASE);
    assertThat(r).isEqualTo(new ClaimResult.Completed(out, completedAt.plus(RETENTION)));
    StoredOutcome replayed = ((ClaimResult.Completed) r).outcome();
    assertThat(replayed.status()).isEqualTo(201);
    assertThat(replayed.metadata())
        .containsExactly(
            Map.entry("Content-Type", "application/json"), Map.entry("X-Trace", "t-{\"id\":1}"));
    assertThat(replayed.bodyAsString()).isEqualTo("{\"id\":1}");
  }

  @Test
  void completedKeyWithDifferentFingerprintIsMismatch() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    store.complete(key("k"), a.ownerToken(), outcome(200, "x"), RETENTION);
    assertThat(store.claim(key("k"), fp("b"), LEASE))
        .isEqualTo(new ClaimResult.Mismatch(RecordState.COMPLETED));
  }

  @Test
  void outcomesRoundTripBinaryEmptyLargeAndUnicode() {
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    byte[] large = new byte[64 * 1024];
    new java.util.Random(42).nextBytes(large);
    Map<String, String> unicode = new LinkedHashMap<>();
    unicode.put("zeta", "ünïcödé ✓ 𝄞");
    unicode.put("alpha", "");
    unicode.put("Content-Type", "text/plain; charset=utf-8");
    List<StoredOutcome> outcomes =
        List.of(
            StoredOutcome.of(200, binary),
            StoredOutcome.of(204, new byte[0]),
            StoredOutcome.of(0, Map.of(), new byte[0]),
            StoredOutcome.of(999, large),
            StoredOutcome.of(422, unicode, "ü".getBytes(StandardCharsets.UTF_8)));
    for (int i = 0; i < outcomes.size(); i++) {
      ClaimResult.Acquired a = acquire(key("o" + i), fp("a"));
      assertThat(store.complete(key("o" + i), a.ownerToken(), outcomes.get(i), RETENTION)).isTrue();
      ClaimResult r = store.claim(key("o" + i), fp("a"), LEASE);
      assertThat(r).isInstanceOf(ClaimResult.Completed.class);
      StoredOutcome got = ((ClaimResult.Completed) r).outcome();
      assertThat(got).isEqualTo(outcomes.get(i));
      assertThat(got.metadata().keySet())
          .containsExactlyElementsOf(outcomes.get(i).metadata().keySet());
    }
  }

  @Test
  void keysAreScopedByScopeAndOperation() {
    IdempotencyKey a = IdempotencyKey.of(scope, "op-1", "same");
    IdempotencyKey b = IdempotencyKey.of(scope + "-other", "op-1", "same");
    IdempotencyKey c = IdempotencyKey.of(scope, "op-2", "same");
    for (IdempotencyKey k : List.of(a, b, c)) {
      assertThat(store.claim(k, fp("x"), LEASE)).isInstanceOf(ClaimResult.Acquired.class);
    }
  }

  @Test
  void keysOfMaximumDefaultLengthAndUnicodeAreDistinct() {
    String longKey = "k".repeat(IdempotencyConfig.DEFAULT_MAX_KEY_LENGTH);
    String longKey2 = "k".repeat(IdempotencyConfig.DEFAULT_MAX_KEY_LENGTH - 1) + "K";
    String unicode = "ключ-🔑-" + "é".repeat(200);
    for (String k : List.of(longKey, longKey2, unicode, "a b", "A")) {
      assertThat(store.claim(key(k), fp("x"), LEASE)).isInstanceOf(ClaimResult.Acquired.class);
    }
    assertThat(store.claim(key("a"), fp("x"), LEASE))
        .as("keys are case-sensitive")
        .isInstanceOf(ClaimResult.Acquired.class);
    assertThat(store.claim(key(longKey), fp("x"), LEASE))
        .isInstanceOf(ClaimResult.InProgress.class);
  }

  // ---- release, renew, expiry -----------------------------------------------------------------

  @Test
  void releaseLetsTheNextClaimAcquireWithoutTakeover() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    assertThat(store.release(key("k"), a.ownerToken())).isTrue();
    assertThat(store.find(key("k"))).isEmpty();
    ClaimResult.Acquired b = acquire(key("k"), fp("b"));
    assertThat(b.takeover()).isFalse();
    assertThat(b.ownerToken()).isNotEqualTo(a.ownerToken());
  }

  @Test
  void leaseIsLiveUntilJustBeforeExpiryThenTakenOver() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    clock.advance(LEASE.minusMillis(1));
    assertThat(store.claim(key("k"), fp("a"), LEASE)).isInstanceOf(ClaimResult.InProgress.class);
    clock.advance(Duration.ofMillis(1));
    ClaimResult.Acquired b = acquire(key("k"), fp("a"));
    assertThat(b.takeover()).isTrue();
    assertThat(b.ownerToken()).isNotEqualTo(a.ownerToken());
    assertThat(b.leaseExpiry()).isEqualTo(clock.instant().plus(LEASE));
  }

  @Test
  void expiredLeaseIsTakenOverEvenWithAnotherFingerprint() {
    acquire(key("k"), fp("a"));
    clock.advance(LEASE.plusSeconds(1));
    ClaimResult.Acquired b = acquire(key("k"), fp("b"));
    assertThat(b.takeover()).isTrue();
    assertThat(store.claim(key("k"), fp("a"), LEASE))
        .isEqualTo(new ClaimResult.Mismatch(RecordState.IN_PROGRESS));
  }

  @Test
  void renewExtendsTheLeaseFromNow() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    clock.advance(LEASE.minusSeconds(1));
    Optional<Instant> renewed = store.renew(key("k"), a.ownerToken(), LEASE);
    assertThat(renewed).contains(clock.instant().plus(LEASE));
    clock.advance(Duration.ofSeconds(5));
    assertThat(store.claim(key("k"), fp("a"), LEASE))
        .isEqualTo(new ClaimResult.InProgress(renewed.orElseThrow()));
    assertThat(store.complete(key("k"), a.ownerToken(), outcome(200, "ok"), RETENTION)).isTrue();
  }

  @Test
  void retentionExpiryForgetsTheOutcome() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    store.complete(key("k"), a.ownerToken(), outcome(200, "ok"), RETENTION);
    clock.advance(RETENTION.minusMillis(1));
    assertThat(store.claim(key("k"), fp("a"), LEASE)).isInstanceOf(ClaimResult.Completed.class);
    clock.advance(Duration.ofMillis(1));
    assertThat(store.find(key("k"))).isEmpty();
    ClaimResult.Acquired b = acquire(key("k"), fp("other payload"));
    assertThat(b.takeover()).as("an expired completed record is gone, not taken over").isFalse();
  }

  // ---- retention hint at claim time (IdempotencyStore#claim with retentionHint) -------------

  @Test
  void aRetentionHintChangesNoOutcomeWhateverTheCompletionsRetention() {
    for (Duration completedWith :
        List.of(RETENTION, RETENTION.multipliedBy(3), Duration.ofSeconds(1))) {
      IdempotencyKey k = key("hint-" + completedWith.toMillis());
      Instant start = clock.instant();
      ClaimResult r = store.claim(k, fp("a"), LEASE, RETENTION);
      assertThat(r).isInstanceOf(ClaimResult.Acquired.class);
      ClaimResult.Acquired a = (ClaimResult.Acquired) r;
      assertThat(a.leaseExpiry()).isEqualTo(start.plus(LEASE));
      assertThat(a.takeover()).isFalse();
      assertThat(store.claim(k, fp("a"), LEASE, RETENTION))
          .isInstanceOf(ClaimResult.InProgress.class);
      clock.advance(LEASE.dividedBy(2));
      Instant completedAt = clock.instant();
      assertThat(store.complete(k, a.ownerToken(), outcome(200, "ok"), completedWith)).isTrue();
      clock.advance(completedWith.minusMillis(1));
      assertThat(store.claim(k, fp("a"), LEASE, RETENTION))
          .as("live until the completion's own retention (%s), not the hint's", completedWith)
          .isInstanceOf(ClaimResult.Completed.class);
      assertThat(store.find(k))
          .hasValueSatisfying(
              rec -> assertThat(rec.expiry()).isEqualTo(completedAt.plus(completedWith)));
      clock.advance(Duration.ofMillis(1));
      assertThat(store.find(k)).isEmpty();
      ClaimResult again = store.claim(k, fp("b"), LEASE, RETENTION);
      assertThat(again).isInstanceOf(ClaimResult.Acquired.class);
      assertThat(((ClaimResult.Acquired) again).takeover()).isFalse();
    }
  }

  @Test
  void aHintedClaimIsTakenOverAndRenewedLikeAnyOther() {
    ClaimResult.Acquired a =
        (ClaimResult.Acquired) store.claim(key("k"), fp("a"), LEASE, RETENTION);
    assertThat(store.renew(key("k"), a.ownerToken(), LEASE.multipliedBy(2))).isPresent();
    clock.advance(LEASE.multipliedBy(2));
    ClaimResult b = store.claim(key("k"), fp("other"), LEASE, RETENTION);
    assertThat(b).isInstanceOf(ClaimResult.Acquired.class);
    assertThat(((ClaimResult.Acquired) b).takeover()).isTrue();
    assertThat(store.complete(key("k"), a.ownerToken(), outcome(200, "late"), RETENTION)).isFalse();
    assertThatThrownBy(() -> store.claim(key("k"), fp("a"), LEASE, null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void retentionShorterThanLeaseIsHonoured() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    store.complete(key("k"), a.ownerToken(), outcome(200, "ok"), Duration.ofSeconds(1));
    clock.advance(Duration.ofSeconds(1));
    assertThat(acquire(key("k"), fp("a")).takeover()).isFalse();
  }

  @Test
  void clockJumpingFarForwardExpiresEverything() {
    ClaimResult.Acquired a = acquire(key("in-progress"), fp("a"));
    ClaimResult.Acquired c = acquire(key("completed"), fp("a"));
    store.complete(key("completed"), c.ownerToken(), outcome(200, "ok"), RETENTION);
    clock.advance(Duration.ofDays(400));
    assertThat(store.find(key("in-progress"))).isEmpty();
    assertThat(store.find(key("completed"))).isEmpty();
    assertThat(store.complete(key("in-progress"), a.ownerToken(), outcome(200, "x"), RETENTION))
        .isFalse();
    // a record expired this long ago may already be purged, so the takeover flag is not checked
    acquire(key("in-progress"), fp("a"));
    assertThat(acquire(key("completed"), fp("a")).takeover()).isFalse();
  }

  // ---- fencing --------------------------------------------------------------------------------

  @Test
  void workerWhoseLeaseWasTakenOverCannotCompleteReleaseOrRenew() {
    ClaimResult.Acquired old = acquire(key("k"), fp("a"));
    clock.advance(LEASE.plusMillis(1));
    ClaimResult.Acquired current = acquire(key("k"), fp("a"));
    assertThat(current.takeover()).isTrue();

    assertThat(store.complete(key("k"), old.ownerToken(), outcome(200, "stale"), RETENTION))
        .isFalse();
    assertThat(store.release(key("k"), old.ownerToken())).isFalse();
    assertThat(store.renew(key("k"), old.ownerToken(), LEASE)).isEmpty();

    IdempotencyRecord record = store.find(key("k")).orElseThrow();
    assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(record.ownerToken()).isEqualTo(current.ownerToken());
    assertThat(record.expiry()).isEqualTo(current.leaseExpiry());

    assertThat(store.complete(key("k"), current.ownerToken(), outcome(200, "fresh"), RETENTION))
        .isTrue();
    assertThat(store.complete(key("k"), old.ownerToken(), outcome(200, "stale"), RETENTION))
        .isFalse();
    assertThat(store.release(key("k"), old.ownerToken())).isFalse();
    ClaimResult r = store.claim(key("k"), fp("a"), LEASE);
    assertThat(((ClaimResult.Completed) r).outcome()).isEqualTo(outcome(200, "fresh"));
  }

  @Test
  void expiredLeaseCannotCompleteOrReleaseEvenIfNobodyTookOver() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    clock.advance(LEASE);
    assertThat(store.complete(key("k"), a.ownerToken(), outcome(200, "late"), RETENTION)).isFalse();
    assertThat(store.release(key("k"), a.ownerToken())).isFalse();
    assertThat(store.renew(key("k"), a.ownerToken(), LEASE)).isEmpty();
    assertThat(acquire(key("k"), fp("a")).takeover()).isTrue();
  }

  @Test
  void wrongTokenChangesNothing() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    assertThat(store.complete(key("k"), "not-the-token", outcome(200, "x"), RETENTION)).isFalse();
    assertThat(store.release(key("k"), "not-the-token")).isFalse();
    assertThat(store.renew(key("k"), "not-the-token", LEASE)).isEmpty();
    assertThat(store.complete(key("absent"), a.ownerToken(), outcome(200, "x"), RETENTION))
        .isFalse();
    IdempotencyRecord r = store.find(key("k")).orElseThrow();
    assertThat(r.ownerToken()).isEqualTo(a.ownerToken());
    assertThat(r.expiry()).isEqualTo(a.leaseExpiry());
  }

  @Test
  void completionIsFinal() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    assertThat(store.complete(key("k"), a.ownerToken(), outcome(200, "first"), RETENTION)).isTrue();
    assertThat(store.complete(key("k"), a.ownerToken(), outcome(200, "second"), RETENTION))
        .isFalse();
    assertThat(store.release(key("k"), a.ownerToken())).isFalse();
    assertThat(store.renew(key("k"), a.ownerToken(), LEASE)).isEmpty();
    assertThat(store.find(key("k")).orElseThrow().outcome()).isEqualTo(outcome(200, "first"));
  }

  @Test
  void findReportsLiveRecords() {
    assertThat(store.find(key("k"))).isEmpty();
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    IdempotencyRecord inProgress = store.find(key("k")).orElseThrow();
    assertThat(inProgress.key()).isEqualTo(key("k"));
    assertThat(inProgress.fingerprint()).isEqualTo(fp("a"));
    assertThat(inProgress.state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(inProgress.ownerToken()).isEqualTo(a.ownerToken());
    assertThat(inProgress.outcome()).isNull();
    store.complete(key("k"), a.ownerToken(), outcome(200, "ok"), RETENTION);
    IdempotencyRecord completed = store.find(key("k")).orElseThrow();
    assertThat(completed.state()).isEqualTo(RecordState.COMPLETED);
    assertThat(completed.outcome()).isEqualTo(outcome(200, "ok"));
    assertThat(completed.expiry()).isEqualTo(clock.instant().plus(RETENTION));
    assertThat(completed.fingerprint()).isEqualTo(fp("a"));
  }

  /**
   * A store's call-timeout view ({@link IdempotencyStore#withCallTimeout}), if it has one, is the
   * same store: records written through either are seen, completed, renewed and released through
   * the other with the same answers. A non-positive timeout is refused either way.
   */
  @Test
  void aCallTimeoutViewSharesTheStoresRecordsAndAnswers() {
    assertThatThrownBy(() -> store.withCallTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.withCallTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    // Long enough for any pool's default connection wait, so that stores which can bound their
    // calls at all return a view here.
    Optional<IdempotencyStore> bounded = store.withCallTimeout(Duration.ofMinutes(5));
    if (bounded.isEmpty()) {
      return;
    }
    IdempotencyStore view = bounded.get();
    ClaimResult.Acquired a = (ClaimResult.Acquired) view.claim(key("v"), fp("a"), LEASE, RETENTION);
    assertThat(store.claim(key("v"), fp("a"), LEASE)).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(store.claim(key("v"), fp("b"), LEASE))
        .isEqualTo(new ClaimResult.Mismatch(RecordState.IN_PROGRESS));
    clock.advance(Duration.ofSeconds(1));
    assertThat(view.renew(key("v"), a.ownerToken(), LEASE)).contains(clock.instant().plus(LEASE));
    assertThat(store.find(key("v")).orElseThrow().expiry()).isEqualTo(clock.instant().plus(LEASE));
    assertThat(view.complete(key("v"), a.ownerToken(), outcome(201, "via view"), RETENTION))
        .isTrue();
    assertThat(store.claim(key("v"), fp("a"), LEASE))
        .isInstanceOfSatisfying(
            ClaimResult.Completed.class,
            c -> assertThat(c.outcome()).isEqualTo(outcome(201, "via view")));
    assertThat(view.find(key("v")).orElseThrow().outcome()).isEqualTo(outcome(201, "via view"));

    ClaimResult.Acquired b = acquire(key("r"), fp("a"));
    assertThat(view.claim(key("r"), fp("a"), LEASE)).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(view.release(key("r"), "not-the-owner")).isFalse();
    assertThat(view.release(key("r"), b.ownerToken())).isTrue();
    assertThat(store.find(key("r"))).isEmpty();
    assertThat(view.find(key("r"))).isEmpty();
  }

  @Test
  void nullArgumentsAreRejected() {
    assertThatThrownBy(() -> store.claim(null, fp("a"), LEASE))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.claim(key("k"), null, LEASE))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.claim(key("k"), fp("a"), null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.complete(key("k"), null, outcome(200, "x"), RETENTION))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.complete(key("k"), "t", null, RETENTION))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.release(key("k"), null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.claim(key("k"), fp("a"), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(store.find(key("k"))).isEmpty();
  }

  // ---- gaps found by the Redis store: stale owners, expiry, size limit -----------------------

  /**
   * After a takeover, every operation of the stale owner leaves the stored record exactly as it was
   * (read back whole through {@code find}): in progress under the new owner, after the new owner
   * renewed, after it completed, and after it released and a third caller claimed.
   */
  @Test
  void staleOwnerAfterTakeoverChangesNothingInTheStoredRecord() {
    ClaimResult.Acquired stale = acquire(key("k"), fp("a"));
    clock.advance(LEASE.plusMillis(1));
    ClaimResult.Acquired current = acquire(key("k"), fp("b"));
    assertThat(current.takeover()).isTrue();

    IdempotencyRecord inProgress = store.find(key("k")).orElseThrow();
    assertThat(inProgress.ownerToken()).isEqualTo(current.ownerToken());
    assertThat(inProgress.fingerprint()).isEqualTo(fp("b"));
    assertStaleOperationsChangeNothing(key("k"), stale.ownerToken(), inProgress);

    clock.advance(Duration.ofSeconds(3));
    Instant renewed = store.renew(key("k"), current.ownerToken(), LEASE).orElseThrow();
    IdempotencyRecord afterRenew = store.find(key("k")).orElseThrow();
    assertThat(afterRenew.expiry()).isEqualTo(renewed);
    assertStaleOperationsChangeNothing(key("k"), stale.ownerToken(), afterRenew);

    assertThat(store.complete(key("k"), current.ownerToken(), outcome(201, "fresh"), RETENTION))
        .isTrue();
    IdempotencyRecord completed = store.find(key("k")).orElseThrow();
    assertThat(completed.state()).isEqualTo(RecordState.COMPLETED);
    assertStaleOperationsChangeNothing(key("k"), stale.ownerToken(), completed);
    assertStaleOperationsChangeNothing(key("k"), current.ownerToken(), completed);

    ClaimResult.Acquired other = acquire(key("k2"), fp("a"));
    assertThat(store.release(key("k2"), other.ownerToken())).isTrue();
    ClaimResult.Acquired third = acquire(key("k2"), fp("c"));
    IdempotencyRecord reclaimed = store.find(key("k2")).orElseThrow();
    assertStaleOperationsChangeNothing(key("k2"), other.ownerToken(), reclaimed);
    assertThat(store.find(key("k2")).orElseThrow().ownerToken()).isEqualTo(third.ownerToken());
  }

  /** A stale owner's operations on a key whose record is gone do not bring a record back. */
  @Test
  void staleOwnerCannotResurrectAReleasedKey() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    assertThat(store.release(key("k"), a.ownerToken())).isTrue();
    assertThat(store.complete(key("k"), a.ownerToken(), outcome(200, "late"), RETENTION)).isFalse();
    assertThat(store.renew(key("k"), a.ownerToken(), LEASE)).isEmpty();
    assertThat(store.release(key("k"), a.ownerToken())).isFalse();
    assertThat(store.find(key("k"))).isEmpty();
    assertThat(acquire(key("k"), fp("a")).takeover()).isFalse();
  }

  private void assertStaleOperationsChangeNothing(
      IdempotencyKey k, String staleToken, IdempotencyRecord expected) {
    assertThat(store.complete(k, staleToken, outcome(200, "stale"), RETENTION)).isFalse();
    assertThat(store.find(k)).contains(expected);
    assertThat(store.release(k, staleToken)).isFalse();
    assertThat(store.find(k)).contains(expected);
    assertThat(store.renew(k, staleToken, Duration.ofDays(1))).isEmpty();
    assertThat(store.find(k)).contains(expected);
  }

  /** An in-progress record is found until its lease ends and claimable from then on, not before. */
  @Test
  void inProgressRecordIsFoundUntilItsLeaseThenClaimable() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    clock.advance(LEASE.minusMillis(1));
    IdempotencyRecord live = store.find(key("k")).orElseThrow();
    assertThat(live.ownerToken()).isEqualTo(a.ownerToken());
    assertThat(live.expiry()).isEqualTo(a.leaseExpiry());
    assertThat(store.claim(key("k"), fp("b"), LEASE))
        .isEqualTo(new ClaimResult.Mismatch(RecordState.IN_PROGRESS));
    clock.advance(Duration.ofMillis(1));
    assertThat(store.find(key("k"))).isEmpty();
    assertThat(acquire(key("k"), fp("b")).takeover()).isTrue();
  }

  /** A renewed lease moves both bounds: not claimable at the old expiry, claimable at the new. */
  @Test
  void renewedLeaseIsClaimableAtItsNewExpiryNotEarlier() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    clock.advance(Duration.ofSeconds(6));
    Instant renewed = store.renew(key("k"), a.ownerToken(), LEASE).orElseThrow();
    clock.set(a.leaseExpiry());
    assertThat(store.claim(key("k"), fp("a"), LEASE))
        .isEqualTo(new ClaimResult.InProgress(renewed));
    clock.set(renewed.minusMillis(1));
    assertThat(store.find(key("k")).orElseThrow().expiry()).isEqualTo(renewed);
    clock.set(renewed);
    assertThat(store.find(key("k"))).isEmpty();
    assertThat(acquire(key("k"), fp("a")).takeover()).isTrue();
  }

  /** A completed record is found, whole, until its retention ends, and gone from then on. */
  @Test
  void completedRecordIsFoundUntilRetentionThenGone() {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    clock.advance(Duration.ofSeconds(1));
    Instant retainedUntil = clock.instant().plus(RETENTION);
    assertThat(store.complete(key("k"), a.ownerToken(), outcome(200, "kept"), RETENTION)).isTrue();
    clock.set(retainedUntil.minusMillis(1));
    IdempotencyRecord kept = store.find(key("k")).orElseThrow();
    assertThat(kept.state()).isEqualTo(RecordState.COMPLETED);
    assertThat(kept.outcome()).isEqualTo(outcome(200, "kept"));
    assertThat(kept.expiry()).isEqualTo(retainedUntil);
    clock.set(retainedUntil);
    assertThat(store.find(key("k"))).isEmpty();
    assertThat(store.claim(key("k"), fp("b"), LEASE)).isInstanceOf(ClaimResult.Acquired.class);
  }

  /**
   * The same bounds with the system clock and short real durations, for stores that also expire
   * records by themselves (a Redis TTL): polled with deadlines, and every observation is checked
   * against clock readings taken around the call, so a slow machine cannot make it fail. An
   * in-progress record is never claimable before its lease ends (and, where the store can tell, is
   * still physically stored while it is live); a completed record is found until its retention ends
   * and is gone afterwards (physically too).
   */
  @Test
  void realTimeLeaseAndRetentionAreHonouredWithTheSystemClock() throws Exception {
    java.time.Clock system = java.time.Clock.systemUTC();
    IdempotencyStore real = createStore(system);
    try {
      Duration lease = Duration.ofMillis(700);
      ClaimResult first = real.claim(key("rt"), fp("a"), lease);
      assertThat(first).isInstanceOf(ClaimResult.Acquired.class);
      Instant leaseEnd = ((ClaimResult.Acquired) first).leaseExpiry();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      ClaimResult.Acquired takeover = null;
      while (takeover == null) {
        assertThat(System.nanoTime()).as("lease never became claimable").isLessThan(deadline);
        Instant before = system.instant();
        Boolean stored = physicallyStored(real, key("rt"));
        ClaimResult r = real.claim(key("rt"), fp("a"), Duration.ofMinutes(1));
        Instant after = system.instant();
        if (r instanceof ClaimResult.Acquired) {
          assertThat(after).as("claimable before the lease ended").isAfterOrEqualTo(leaseEnd);
          takeover = (ClaimResult.Acquired) r;
        } else {
          assertThat(r).isEqualTo(new ClaimResult.InProgress(leaseEnd));
          assertThat(before).as("in progress after the lease ended").isBefore(leaseEnd);
          if (stored != null) {
            assertThat(stored).as("live in-progress record dropped by the store").isTrue();
          }
          Thread.sleep(50);
        }
      }
      assertThat(takeover.takeover()).isTrue();

      Duration retention = Duration.ofMillis(700);
      Instant beforeComplete = system.instant();
      assertThat(real.complete(key("rt"), takeover.ownerToken(), outcome(200, "rt"), retention))
          .isTrue();
      Instant afterComplete = system.instant();
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        assertThat(System.nanoTime()).as("retention never ended").isLessThan(deadline);
        Instant before = system.instant();
        Optional<IdempotencyRecord> found = real.find(key("rt"));
        Instant after = system.instant();
        if (found.isEmpty()) {
          assertThat(after)
              .as("completed record gone before its retention")
              .isAfterOrEqualTo(beforeComplete.truncatedTo(ChronoUnit.MILLIS).plus(retention));
          break;
        }
        assertThat(found.get().outcome()).isEqualTo(outcome(200, "rt"));
        assertThat(before.truncatedTo(ChronoUnit.MILLIS))
            .as("completed record found after its retention")
            .isBefore(afterComplete.plus(retention));
        Thread.sleep(50);
      }
      while (Boolean.TRUE.equals(physicallyStored(real, key("rt")))) {
        assertThat(System.nanoTime()).as("record stored past its retention").isLessThan(deadline);
        Thread.sleep(50);
      }
      // A store may answer replays from a coarser clock than find (the in-memory store's ticker
      // lags the system clock by about a millisecond), so the expired key becomes claimable
      // shortly after find stopped reporting it; until then only the completed record may answer.
      while (true) {
        ClaimResult r = real.claim(key("rt"), fp("b"), lease);
        if (r instanceof ClaimResult.Acquired) {
          break;
        }
        assertThat(r).isEqualTo(new ClaimResult.Mismatch(RecordState.COMPLETED));
        assertThat(System.nanoTime()).as("expired key never claimable").isLessThan(deadline);
        Thread.sleep(10);
      }
    } finally {
      closeStore(real);
    }
  }

  /**
   * An outcome over the store's size limit is refused with an {@link IllegalArgumentException}
   * naming the limit before anything is written, and the caller's key is released, so a retry runs
   * at once; a stale owner's oversized outcome changes nothing; an outcome within the limit is
   * stored.
   */
  @Test
  void outcomeOverTheStoreLimitIsRefusedBeforeTheWriteAndTheKeyReleased() throws Exception {
    int limit = 2048;
    IdempotencyStore limited = createStoreWithOutcomeLimit(clock, limit);
    org.junit.jupiter.api.Assumptions.assumeTrue(
        limited != null, "the store has no outcome size limit");
    try {
      byte[] big = new byte[4 * limit];
      ClaimResult.Acquired a = (ClaimResult.Acquired) limited.claim(key("big"), fp("a"), LEASE);
      assertThatThrownBy(
              () ->
                  limited.complete(
                      key("big"), a.ownerToken(), StoredOutcome.of(200, big), RETENTION))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(Integer.toString(limit));
      assertThat(limited.find(key("big"))).as("key released, nothing stored").isEmpty();
      ClaimResult.Acquired retry = (ClaimResult.Acquired) limited.claim(key("big"), fp("a"), LEASE);
      assertThat(retry.takeover()).isFalse();

      IdempotencyRecord before = limited.find(key("big")).orElseThrow();
      assertThatThrownBy(
              () ->
                  limited.complete(
                      key("big"), a.ownerToken(), StoredOutcome.of(200, big), RETENTION))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(limited.find(key("big"))).as("stale oversized outcome").contains(before);

      StoredOutcome small = outcome(200, "s".repeat(limit / 4));
      assertThat(limited.complete(key("big"), retry.ownerToken(), small, RETENTION)).isTrue();
      assertThat(limited.claim(key("big"), fp("a"), LEASE))
          .isEqualTo(new ClaimResult.Completed(small, clock.instant().plus(RETENTION)));
    } finally {
      closeStore(limited);
    }
  }

  // ---- concurrency ----------------------------------------------------------------------------

  @Test
  void manyThreadsRacingForOneKeyYieldExactlyOneOwner() throws Exception {
    int threads = 16;
    for (int round = 0; round < 20; round++) {
      IdempotencyKey k = key("race-" + round);
      if (round % 2 == 1) {
        // odd rounds race for the takeover of an expired lease
        acquire(k, fp("a"));
        clock.advance(LEASE);
      }
      List<ClaimResult> results = race(threads, () -> store.claim(k, fp("a"), LEASE));
      long acquired = results.stream().filter(r -> r instanceof ClaimResult.Acquired).count();
      long inProgress = results.stream().filter(r -> r instanceof ClaimResult.InProgress).count();
      assertThat(acquired).as("round %d owners", round).isEqualTo(1);
      assertThat(inProgress).isEqualTo(threads - 1);
    }
  }

  @Test
  void racingCompletionsOfOneOwnerSucceedOnce() throws Exception {
    ClaimResult.Acquired a = acquire(key("k"), fp("a"));
    AtomicInteger n = new AtomicInteger();
    List<Boolean> results =
        race(
            8,
            () ->
                store.complete(
                    key("k"), a.ownerToken(), outcome(200, "v" + n.incrementAndGet()), RETENTION));
    assertThat(results.stream().filter(b -> b).count()).isEqualTo(1);
  }

  /**
   * Engine over this store: {@link #raceThreads()} threads each run every one of {@link
   * #raceKeys()} keys in the same order (maximum contention) in {@link ConcurrencyMode#WAIT}. Every
   * key's action must run exactly once and every caller must get that execution's value, which is
   * unique per execution, so a second execution or a lost outcome would show.
   */
  @Test
  void engineRaceEveryKeyRunsOnceAndEveryCallerGetsTheSameOutcome() throws Exception {
    int threads = raceThreads();
    int keys = raceKeys();
    Idempotency idempotency =
        Idempotency.builder(store)
            .defaultConfig(
                IdempotencyConfig.custom()
                    .concurrencyMode(ConcurrencyMode.WAIT)
                    .waitTimeout(Duration.ofSeconds(20))
                    .leaseDuration(Duration.ofMinutes(5))
                    .build())
            .storeCallTimeout(Duration.ofSeconds(30))
            .build();
    AtomicInteger[] executions = new AtomicInteger[keys];
    for (int i = 0; i < keys; i++) {
      executions[i] = new AtomicInteger();
    }
    AtomicReferenceArray<String> firstSeen = new AtomicReferenceArray<>(keys);
    ConcurrentHashMap<Integer, String> disagreements = new ConcurrentHashMap<>();
    ConcurrentHashMap<Integer, String> failures = new ConcurrentHashMap<>();
    AtomicInteger replays = new AtomicInteger();
    race(
        threads,
        () -> {
          for (int i = 0; i < keys; i++) {
            int k = i;
            IdempotencyResult<String> r;
            try {
              r =
                  idempotency.execute(
                      key("engine-" + k),
                      fp("payload-" + k),
                      OutcomeCodec.utf8(),
                      () -> {
                        executions[k].incrementAndGet();
                        return "key-" + k + "-execution-" + UUID.randomUUID();
                      });
            } catch (RuntimeException e) {
              failures.put(k, e.toString());
              continue;
            }
            if (r.status() != IdempotencyResult.Status.STORED && !r.isReplayed()) {
              failures.put(k, "unexpected status " + r.status());
            }
            if (r.isReplayed()) {
              replays.incrementAndGet();
            }
            if (!firstSeen.compareAndSet(k, null, r.value())
                && !firstSeen.get(k).equals(r.value())) {
              disagreements.put(k, firstSeen.get(k) + " vs " + r.value());
            }
          }
          return null;
        });
    List<Integer> notOnce = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      if (executions[i].get() != 1) {
        notOnce.add(i);
      }
    }
    assertThat(failures).as("calls that failed (conflict, store error, lost lease)").isEmpty();
    assertThat(notOnce).as("keys whose action did not run exactly once").isEmpty();
    assertThat(disagreements).as("keys whose callers got different outcomes").isEmpty();
    assertThat(replays.get()).isEqualTo((threads - 1) * keys);
  }

  /** Through the engine: the worker that lost its lease to a takeover cannot touch the record. */
  @Test
  void engineWorkerWhoseLeaseExpiredCannotCompleteOrReleaseTheTakeoverRecord() {
    Idempotency idempotency =
        Idempotency.of(
            store, IdempotencyConfig.custom().leaseDuration(LEASE).disableLeaseRenewal().build());
    IdempotentExecution slow = idempotency.begin(key("k"), fp("a"));
    IdempotentExecution slow2 = idempotency.begin(key("k2"), fp("a"));
    clock.advance(LEASE.plusSeconds(1));
    IdempotentExecution current = idempotency.begin(key("k"), fp("a"));
    IdempotentExecution current2 = idempotency.begin(key("k2"), fp("a"));
    assertThat(current.isTakeover()).isTrue();

    assertThat(slow.complete(outcome(200, "stale"))).isEqualTo(IdempotencyResult.Status.LEASE_LOST);
    slow2.release(new RuntimeException("boom"));
    assertThat(store.find(key("k")).orElseThrow().ownerToken())
        .isEqualTo(current.ownerToken().orElseThrow());
    assertThat(store.find(key("k2")).orElseThrow().ownerToken())
        .isEqualTo(current2.ownerToken().orElseThrow());

    assertThat(current.complete(outcome(200, "fresh"))).isEqualTo(IdempotencyResult.Status.STORED);
    current2.close();
    assertThat(store.find(key("k2"))).isEmpty();
    IdempotentExecution replay = idempotency.begin(key("k"), fp("a"));
    assertThat(replay.replayedOutcome()).contains(outcome(200, "fresh"));
  }

  /** Runs {@code task} on {@code threads} threads released together; returns their results. */
  protected static <T> List<T> race(int threads, Callable<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch ready = new CountDownLatch(threads);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        futures.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  go.await();
                  return task.call();
                }));
      }
      ready.await();
      go.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(5, TimeUnit.MINUTES));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
