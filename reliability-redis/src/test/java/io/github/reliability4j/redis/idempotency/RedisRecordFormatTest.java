package io.github.reliability4j.redis.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyRecord;
import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.core.idempotency.internal.OutcomeEncoding;
import io.github.reliability4j.test.idempotency.MutableClock;
import io.github.reliability4j.test.services.Services;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Record formats: format-1 records (the hash layout written before format 2) are decided on as
 * before and rewritten in format 2 at their next write; values of an unknown format are an error
 * and never overwritten; owner tokens are unique. Against the machine's Redis, unique prefix.
 */
class RedisRecordFormatTest {

  private static final String PREFIX = "r4j-test:format:" + UUID.randomUUID() + ":";
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static RedisClient client;
  private static StatefulRedisConnection<byte[], byte[]> raw;

  @BeforeAll
  static void connect() {
    Services.requireRedis();
    client = RedisClient.create("redis://127.0.0.1:6379");
    raw = client.connect(ByteArrayCodec.INSTANCE);
  }

  @AfterAll
  static void disconnect() {
    if (raw != null) {
      raw.close();
      client.shutdown();
    }
  }

  private static RedisCommands<byte[], byte[]> redis() {
    return raw.sync();
  }

  private static RedisIdempotencyStore store(MutableClock clock) {
    return RedisIdempotencyStore.create(
        client, RedisIdempotencyStoreConfig.custom().keyPrefix(PREFIX).clock(clock).build());
  }

  private static IdempotencyKey key(String k) {
    return IdempotencyKey.of("scope", "op", k + "-" + UUID.randomUUID());
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Writes a record as the format-1 scripts did: a hash with s, e (decimal), f, t or o. */
  private static void writeFormatOne(
      byte[] redisKey, char state, Instant expiry, RequestFingerprint fp, byte[] tokenOrOutcome) {
    Map<byte[], byte[]> fields = new LinkedHashMap<>();
    fields.put(b("s"), b(String.valueOf(state)));
    fields.put(b("e"), b(Long.toString(expiry.toEpochMilli())));
    fields.put(b("f"), fp.bytes());
    fields.put(b(state == 'P' ? "t" : "o"), tokenOrOutcome);
    redis().hset(redisKey, fields);
    redis().pexpire(redisKey, Duration.ofMinutes(10).toMillis());
  }

  private static Map<String, byte[]> hash(byte[] redisKey) {
    Map<String, byte[]> out = new java.util.TreeMap<>();
    redis().hgetall(redisKey).forEach((k, v) -> out.put(new String(k, StandardCharsets.UTF_8), v));
    return out;
  }

  private static String type(byte[] redisKey) {
    return redis().type(redisKey);
  }

  @Test
  void formatOneInProgressRecordIsDecidedOnAsBeforeAndRewrittenInFormatTwoByItsOwner() {
    MutableClock clock = MutableClock.create();
    try (RedisIdempotencyStore store = store(clock)) {
      IdempotencyKey k = key("legacy-in-progress");
      byte[] redisKey = store.redisKey(k);
      String legacyToken = UUID.randomUUID().toString();
      Instant lease = clock.instant().plus(LEASE);
      RequestFingerprint fp = RequestFingerprint.sha256("a");
      writeFormatOne(redisKey, 'P', lease, fp, b(legacyToken));

      assertThat(store.claim(k, fp, LEASE)).isEqualTo(new ClaimResult.InProgress(lease));
      assertThat(store.claim(k, RequestFingerprint.sha256("b"), LEASE))
          .isEqualTo(new ClaimResult.Mismatch(RecordState.IN_PROGRESS));
      IdempotencyRecord found = store.find(k).orElseThrow();
      assertThat(found.state()).isEqualTo(RecordState.IN_PROGRESS);
      assertThat(found.ownerToken()).isEqualTo(legacyToken);
      assertThat(found.fingerprint()).isEqualTo(fp);
      assertThat(found.expiry()).isEqualTo(lease);

      // Not the owner: nothing changes, the hash stays as it was.
      Map<String, byte[]> before = hash(redisKey);
      assertThat(store.complete(k, "not-the-owner", StoredOutcome.ok("x"), LEASE)).isFalse();
      assertThat(store.release(k, "not-the-owner")).isFalse();
      assertThat(store.renew(k, "not-the-owner", LEASE)).isEmpty();
      assertThat(type(redisKey)).isEqualTo("hash");
      assertThat(hash(redisKey)).usingRecursiveComparison().isEqualTo(before);

      // The owner (holding a format-1 UUID token) renews: the record is now format 2.
      clock.advance(Duration.ofSeconds(1));
      Instant renewed = store.renew(k, legacyToken, LEASE).orElseThrow();
      assertThat(type(redisKey)).isEqualTo("string");
      byte[] v = redis().get(redisKey);
      assertThat(v[0]).isEqualTo((byte) Scripts.VERSION_2);
      assertThat(v[Scripts.STATE]).isEqualTo((byte) 'P');
      assertThat(Arrays.copyOfRange(v, Scripts.FINGERPRINT, Scripts.TAIL)).isEqualTo(fp.bytes());
      assertThat(new String(v, Scripts.TAIL, v.length - Scripts.TAIL, StandardCharsets.UTF_8))
          .isEqualTo(legacyToken);
      assertThat(store.find(k).orElseThrow().expiry()).isEqualTo(renewed);

      assertThat(store.complete(k, legacyToken, StoredOutcome.ok("done"), LEASE)).isTrue();
      ClaimResult.Completed c = (ClaimResult.Completed) store.claim(k, fp, LEASE);
      assertThat(c.outcome()).isEqualTo(StoredOutcome.ok("done"));
      assertThat(redis().pttl(redisKey)).isLessThanOrEqualTo(LEASE.toMillis());
    }
  }

  @Test
  void formatOneCompletedRecordReplaysItsOutcomeUntilItExpires() {
    MutableClock clock = MutableClock.create();
    try (RedisIdempotencyStore store = store(clock)) {
      IdempotencyKey k = key("legacy-completed");
      byte[] redisKey = store.redisKey(k);
      StoredOutcome outcome = StoredOutcome.of(201, Map.of("h", "v"), new byte[] {0, 1, 2, -1});
      Instant retention = clock.instant().plus(Duration.ofMinutes(5));
      RequestFingerprint fp = RequestFingerprint.sha256("a");
      writeFormatOne(redisKey, 'C', retention, fp, OutcomeEncoding.encode(outcome));

      assertThat(store.claim(k, fp, LEASE))
          .isEqualTo(new ClaimResult.Completed(outcome, retention));
      assertThat(store.claim(k, RequestFingerprint.sha256("b"), LEASE))
          .isEqualTo(new ClaimResult.Mismatch(RecordState.COMPLETED));
      IdempotencyRecord found = store.find(k).orElseThrow();
      assertThat(found.state()).isEqualTo(RecordState.COMPLETED);
      assertThat(found.outcome()).isEqualTo(outcome);
      assertThat(found.ownerToken()).isNull();
      assertThat(type(redisKey)).as("reads write nothing").isEqualTo("hash");

      clock.set(retention);
      assertThat(store.find(k)).isEmpty();
      ClaimResult.Acquired a = (ClaimResult.Acquired) store.claim(k, fp, LEASE);
      assertThat(a.takeover()).as("an expired completed record is gone, not taken over").isFalse();
      assertThat(type(redisKey)).isEqualTo("string");
      assertThat(store.find(k).orElseThrow().ownerToken()).isEqualTo(a.ownerToken());
    }
  }

  @Test
  void expiredFormatOneInProgressRecordIsTakenOverAndItsOwnerFencedOff() {
    MutableClock clock = MutableClock.create();
    try (RedisIdempotencyStore store = store(clock)) {
      IdempotencyKey k = key("legacy-expired");
      byte[] redisKey = store.redisKey(k);
      String legacyToken = UUID.randomUUID().toString();
      writeFormatOne(
          redisKey,
          'P',
          clock.instant().plus(LEASE),
          RequestFingerprint.sha256("a"),
          b(legacyToken));
      clock.advance(LEASE);

      ClaimResult.Acquired a =
          (ClaimResult.Acquired) store.claim(k, RequestFingerprint.sha256("new"), LEASE);
      assertThat(a.takeover()).isTrue();
      byte[] taken = redis().get(redisKey);
      assertThat(store.complete(k, legacyToken, StoredOutcome.ok("stale"), LEASE)).isFalse();
      assertThat(store.release(k, legacyToken)).isFalse();
      assertThat(store.renew(k, legacyToken, LEASE)).isEmpty();
      assertThat(redis().get(redisKey)).isEqualTo(taken);
      assertThat(store.find(k).orElseThrow().fingerprint())
          .isEqualTo(RequestFingerprint.sha256("new"));
    }
  }

  @Test
  void valueOfAnUnknownFormatIsAnErrorAndIsNeverOverwritten() {
    MutableClock clock = MutableClock.create();
    try (RedisIdempotencyStore store = store(clock)) {
      for (byte[] foreign :
          List.of(new byte[] {3, 'C', 0, 0, 0, 0, 0, 0, 0, 0}, b("a plain value"), new byte[0])) {
        IdempotencyKey k = key("foreign");
        byte[] redisKey = store.redisKey(k);
        redis().psetex(redisKey, Duration.ofMinutes(10).toMillis(), foreign);
        String version = foreign.length == 0 ? "nil" : Integer.toString(foreign[0] & 0xff);
        RequestFingerprint fp = RequestFingerprint.sha256("a");
        List<Runnable> calls =
            List.of(
                () -> store.claim(k, fp, LEASE),
                () -> store.complete(k, "t", StoredOutcome.ok("x"), LEASE),
                () -> store.release(k, "t"),
                () -> store.renew(k, "t", LEASE),
                () -> store.find(k));
        for (Runnable call : calls) {
          assertThatThrownBy(call::run)
              .as(Arrays.toString(foreign))
              .isInstanceOf(IdempotencyStoreException.class)
              .hasMessageContaining("idempotency record of unknown format " + version);
        }
        assertThat(redis().get(redisKey)).isEqualTo(foreign);
      }
    }
  }

  @Test
  void ownerTokensAreUniqueAcrossThreadsAndStoresAndUrlSafe() throws Exception {
    OwnerTokens a = OwnerTokens.create();
    OwnerTokens b = OwnerTokens.create();
    Set<String> seen = ConcurrentHashMap.newKeySet();
    int threads = 8;
    int perThread = 25_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        OwnerTokens tokens = t % 2 == 0 ? a : b;
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    String token = tokens.next();
                    assertThat(token).matches("[A-Za-z0-9_-]{22}");
                    assertThat(seen.add(token)).as("duplicate token " + token).isTrue();
                  }
                }));
      }
      for (Future<?> f : futures) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(seen).hasSize(threads * perThread);

    MutableClock clock = MutableClock.create();
    try (RedisIdempotencyStore store = store(clock)) {
      IdempotencyKey k = key("token");
      String token =
          ((ClaimResult.Acquired) store.claim(k, RequestFingerprint.sha256("a"), LEASE))
              .ownerToken();
      assertThat(token).matches("[A-Za-z0-9_-]{22}");
      assertThat(store.find(k).orElseThrow().ownerToken()).isEqualTo(token);
      assertThat(store.release(k, token)).isTrue();
    }
  }
}
