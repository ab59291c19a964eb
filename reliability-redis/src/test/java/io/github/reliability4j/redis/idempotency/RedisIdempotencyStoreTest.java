package io.github.reliability4j.redis.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.OutcomeCodec;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.test.idempotency.MutableClock;
import io.github.reliability4j.test.services.Services;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Redis-specific guarantees against the machine's Redis (unique prefix per run). */
class RedisIdempotencyStoreTest {

  private static final String PREFIX = "r4j-test:" + UUID.randomUUID() + ":";
  private static final Duration LEASE = Duration.ofSeconds(10);
  private static RedisClient clientA;
  private static RedisClient clientB;
  private static StatefulRedisConnection<byte[], byte[]> raw;

  @BeforeAll
  static void connect() {
    Services.requireRedis();
    clientA = RedisClient.create("redis://127.0.0.1:6379");
    clientB = RedisClient.create("redis://127.0.0.1:6379");
    raw = clientA.connect(ByteArrayCodec.INSTANCE);
  }

  @AfterAll
  static void disconnect() {
    if (raw != null) {
      raw.close();
      clientA.shutdown();
      clientB.shutdown();
    }
  }

  private static RedisIdempotencyStore store(RedisClient client, MutableClock clock) {
    return RedisIdempotencyStore.create(
        client, RedisIdempotencyStoreConfig.custom().keyPrefix(PREFIX).clock(clock).build());
  }

  private static IdempotencyKey key(String k) {
    return IdempotencyKey.of("tenant-" + PREFIX, "op", k);
  }

  private static RequestFingerprint fp(String s) {
    return RequestFingerprint.sha256(s);
  }

  /**
   * The stored record as its fields ({@code s} state, {@code e} expiry, {@code f} fingerprint,
   * {@code t} owner token, {@code o} encoded outcome), read with a raw {@code GET} and split along
   * record format 2 (see {@code Scripts}).
   */
  private static Map<String, byte[]> rawRecord(RedisIdempotencyStore store, IdempotencyKey key) {
    Map<String, byte[]> out = new java.util.TreeMap<>();
    byte[] v = raw.sync().get(store.redisKey(key));
    if (v == null) {
      return out;
    }
    assertThat(v[0]).as("format version").isEqualTo((byte) Scripts.VERSION_2);
    out.put("s", new byte[] {v[Scripts.STATE]});
    out.put("e", Arrays.copyOfRange(v, Scripts.EXPIRY, Scripts.FINGERPRINT));
    out.put("f", Arrays.copyOfRange(v, Scripts.FINGERPRINT, Scripts.TAIL));
    out.put(v[Scripts.STATE] == 'P' ? "t" : "o", Arrays.copyOfRange(v, Scripts.TAIL, v.length));
    return out;
  }

  @Test
  void thirtyTwoThreadsTimesThousandKeysOverTwoClientsExecuteEveryKeyOnce() throws Exception {
    MutableClock clock = MutableClock.create();
    try (RedisIdempotencyStore a = store(clientA, clock);
        RedisIdempotencyStore b = store(clientB, clock)) {
      IdempotencyConfig config =
          IdempotencyConfig.custom()
              .concurrencyMode(ConcurrencyMode.WAIT)
              .waitTimeout(Duration.ofSeconds(60))
              .waitPollInterval(Duration.ofMillis(20))
              .leaseDuration(Duration.ofMinutes(5))
              .build();
      Idempotency engineA =
          Idempotency.builder(a)
              .defaultConfig(config)
              .storeCallTimeout(Duration.ofSeconds(30))
              .build();
      Idempotency engineB =
          Idempotency.builder(b)
              .defaultConfig(config)
              .storeCallTimeout(Duration.ofSeconds(30))
              .build();
      int threads = 32;
      int keys = 1000;
      String scope = "race-" + UUID.randomUUID();
      AtomicInteger[] executions = new AtomicInteger[keys];
      for (int i = 0; i < keys; i++) {
        executions[i] = new AtomicInteger();
      }
      ConcurrentHashMap<Integer, String> values = new ConcurrentHashMap<>();
      ConcurrentHashMap<Integer, String> problems = new ConcurrentHashMap<>();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          Idempotency engine = t % 2 == 0 ? engineA : engineB;
          futures.add(
              pool.submit(
                  () -> {
                    go.await();
                    for (int i = 0; i < keys; i++) {
                      int k = i;
                      try {
                        IdempotencyResult<String> r =
                            engine.execute(
                                IdempotencyKey.of(scope, "op", "k" + k),
                                fp("p" + k),
                                OutcomeCodec.utf8(),
                                () -> {
                                  executions[k].incrementAndGet();
                                  return "v" + k + "-" + UUID.randomUUID();
                                });
                        String first = values.putIfAbsent(k, r.value());
                        if (first != null && !first.equals(r.value())) {
                          problems.put(k, first + " vs " + r.value());
                        }
                      } catch (RuntimeException e) {
                        problems.put(k, e.toString());
                      }
                    }
                    return null;
                  }));
        }
        go.countDown();
        for (Future<?> f : futures) {
          f.get(10, TimeUnit.MINUTES);
        }
      } finally {
        pool.shutdownNow();
      }
      List<Integer> notOnce = new ArrayList<>();
      for (int i = 0; i < keys; i++) {
        if (executions[i].get() != 1) {
          notOnce.add(i);
        }
      }
      assertThat(problems).isEmpty();
      assertThat(notOnce).as("keys not executed exactly once").isEmpty();
      assertThat(values).hasSize(keys);
    }
  }

  @Test
  void staleOwnerCompleteAndReleaseAfterTakeoverLeaveTheStoredValueUnchanged() {
    MutableClock clock = MutableClock.create();
    try (RedisIdempotencyStore a = store(clientA, clock);
        RedisIdempotencyStore b = store(clientB, clock)) {
      IdempotencyKey k = key("stale-" + UUID.randomUUID());
      ClaimResult.Acquired stale = (ClaimResult.Acquired) a.claim(k, fp("x"), LEASE);
      clock.advance(LEASE.plusMillis(1));
      ClaimResult.Acquired current = (ClaimResult.Acquired) b.claim(k, fp("x"), LEASE);
      assertThat(current.takeover()).isTrue();
      Map<String, byte[]> before = rawRecord(a, k);
      assertThat(new String(before.get("t"), StandardCharsets.UTF_8))
          .isEqualTo(current.ownerToken());

      assertThat(a.complete(k, stale.ownerToken(), StoredOutcome.ok("stale"), LEASE)).isFalse();
      assertThat(a.release(k, stale.ownerToken())).isFalse();
      assertThat(a.renew(k, stale.ownerToken(), LEASE)).isEmpty();
      assertThat(rawRecord(a, k)).usingRecursiveComparison().isEqualTo(before);

      assertThat(b.complete(k, current.ownerToken(), StoredOutcome.ok("fresh"), LEASE)).isTrue();
      Map<String, byte[]> completed = rawRecord(a, k);
      assertThat(a.complete(k, stale.ownerToken(), StoredOutcome.ok("stale"), LEASE)).isFalse();
      assertThat(a.release(k, stale.ownerToken())).isFalse();
      assertThat(rawRecord(a, k)).usingRecursiveComparison().isEqualTo(completed);
      assertThat(((ClaimResult.Completed) a.claim(k, fp("x"), LEASE)).outcome().bodyAsString())
          .isEqualTo("fresh");
    }
  }

  @Test
  void keyIsPrefixPlusHashAndOutcomeBytesAreStoredAsTheyAre() {
    MutableClock clock = MutableClock.create();
    try (RedisIdempotencyStore s = store(clientA, clock)) {
      IdempotencyKey k = key("user {input} with spaces " + UUID.randomUUID());
      String redisKey = new String(s.redisKey(k), StandardCharsets.US_ASCII);
      assertThat(redisKey).startsWith(PREFIX).hasSize(PREFIX.length() + 43);
      assertThat(redisKey.substring(PREFIX.length())).matches("[A-Za-z0-9_-]{43}");
      ClaimResult.Acquired a = (ClaimResult.Acquired) s.claim(k, fp("x"), LEASE);
      long ttl = raw.sync().pttl(s.redisKey(k));
      assertThat(ttl).as("in-progress TTL covers the lease").isGreaterThan(LEASE.toMillis());
      byte[] body = new byte[1000];
      new java.util.Random(7).nextBytes(body);
      s.complete(k, a.ownerToken(), StoredOutcome.of(201, body), Duration.ofMinutes(3));
      byte[] stored = rawRecord(s, k).get("o");
      assertThat(stored.length).isLessThan(body.length + 32);
      assertThat(new String(stored, StandardCharsets.ISO_8859_1))
          .contains(new String(body, StandardCharsets.ISO_8859_1));
      assertThat(raw.sync().pttl(s.redisKey(k)))
          .as("completed TTL is the retention")
          .isLessThanOrEqualTo(Duration.ofMinutes(3).toMillis())
          .isGreaterThan(Duration.ofMinutes(2).toMillis());
    }
  }

  @Test
  void outcomeLargerThanTheLimitFailsBeforeTheWriteAndReleasesTheKey() {
    MutableClock clock = MutableClock.create();
    try (RedisIdempotencyStore s =
        RedisIdempotencyStore.create(
            clientA,
            RedisIdempotencyStoreConfig.custom()
                .keyPrefix(PREFIX)
                .clock(clock)
                .maxOutcomeBytes(1000)
                .build())) {
      IdempotencyKey k = key("large-" + UUID.randomUUID());
      ClaimResult.Acquired a = (ClaimResult.Acquired) s.claim(k, fp("x"), LEASE);
      assertThatThrownBy(
              () -> s.complete(k, a.ownerToken(), StoredOutcome.of(200, new byte[5000]), LEASE))
          .isInstanceOf(RedisOutcomeTooLargeException.class)
          .hasMessageContaining("more than maxOutcomeBytes 1000")
          .hasMessageContaining("key was released");
      assertThat(raw.sync().exists(s.redisKey(k))).isZero();
      assertThat(s.claim(k, fp("x"), LEASE)).isInstanceOf(ClaimResult.Acquired.class);
    }
  }

  @Test
  void prefixWithSpacesBracesOrControlCharactersIsAConfigurationError() {
    for (String bad : List.of("a b:", "tag{x}:", "x}", "{", "tab\t", "", "ü:")) {
      assertThatThrownBy(() -> RedisIdempotencyStoreConfig.custom().keyPrefix(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("keyPrefix");
    }
    assertThatThrownBy(() -> RedisIdempotencyStoreConfig.custom().keyPrefix("x".repeat(129)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisIdempotencyStoreConfig.custom().commandTimeout(Duration.ZERO))
        .hasMessageContaining("commandTimeout must be positive");
    assertThatThrownBy(() -> RedisIdempotencyStoreConfig.custom().maxOutcomeBytes(0))
        .hasMessageContaining("maxOutcomeBytes");
    assertThatThrownBy(
            () -> RedisIdempotencyStoreConfig.custom().waitForReplicas(-1, Duration.ofSeconds(1)))
        .hasMessageContaining("replicas");
  }
}
