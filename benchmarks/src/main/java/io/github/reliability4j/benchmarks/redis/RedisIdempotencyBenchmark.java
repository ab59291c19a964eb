package io.github.reliability4j.benchmarks.redis;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.benchmarks.support.BenchDatabase;
import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;
import io.github.reliability4j.redis.idempotency.RedisIdempotencyStore;
import io.github.reliability4j.redis.idempotency.RedisIdempotencyStoreConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.event.command.CommandListener;
import io.lettuce.core.event.command.CommandStartedEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/*
 * Group 5: the Redis idempotency store against raw Lettuce on the machine's Redis
 * (127.0.0.1:6379), one connection each, one thread, in the same run.
 *
 * Duplicate: rawGet (floor: GET of a 100-byte value), redisDuplicateClaim (claim of a completed
 *            key: one EVALSHA returning the stored outcome).
 * New key:   rawSetNxThenSet (floor: SET NX PX for the claim, then SET PX for the completion, two
 *            round trips and no fencing), redisClaimComplete (store.claim + store.complete, two
 *            EVALSHA), rawSet (one SET, the "one raw SET" reference).
 *
 * JDBC:      jdbcDuplicateClaim and jdbcClaimComplete, the same two operations through the JDBC
 *            store on the run's embedded PostgreSQL primary (pool of 2), for the same-run
 *            comparison the issue asks for.
 *
 * Keys live under a random prefix with TTLs of a minute; nothing is flushed. Round trips per
 * operation are counted by a Lettuce CommandListener in main() (printed, not measured here).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RedisIdempotencyBenchmark {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration RETENTION = Duration.ofMinutes(1);
  private static final RequestFingerprint FP = RequestFingerprint.sha256("payload");
  private static final StoredOutcome OUTCOME =
      StoredOutcome.of(200, "x".repeat(100).getBytes(StandardCharsets.UTF_8));

  private final String prefix = "r4j-bench:" + UUID.randomUUID() + ":";
  private final byte[] value = new byte[100];
  private RedisClient client;
  private StatefulRedisConnection<byte[], byte[]> raw;
  private RedisCommands<byte[], byte[]> commands;
  private RedisIdempotencyStore store;
  private IdempotencyKey completedKey;
  private byte[] rawKey;
  private long counter;

  @Setup(Level.Trial)
  public void setUp() {
    client = RedisClient.create("redis://127.0.0.1:6379");
    raw = client.connect(ByteArrayCodec.INSTANCE);
    commands = raw.sync();
    store =
        RedisIdempotencyStore.create(
            client, RedisIdempotencyStoreConfig.custom().keyPrefix(prefix).build());
    completedKey = IdempotencyKey.of("bench", "op", "completed");
    ClaimResult.Acquired a = (ClaimResult.Acquired) store.claim(completedKey, FP, LEASE);
    store.complete(completedKey, a.ownerToken(), OUTCOME, Duration.ofHours(1));
    rawKey = (prefix + "raw-get").getBytes(StandardCharsets.US_ASCII);
    commands.set(rawKey, value, SetArgs.Builder.px(Duration.ofHours(1).toMillis()));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    store.close();
    raw.close();
    client.shutdown();
  }

  @Benchmark
  public byte[] rawGet() {
    return commands.get(rawKey);
  }

  @Benchmark
  public ClaimResult redisDuplicateClaim() {
    return store.claim(completedKey, FP, LEASE);
  }

  @Benchmark
  public String rawSet() {
    byte[] k = (prefix + "s" + counter++).getBytes(StandardCharsets.US_ASCII);
    return commands.set(k, value, SetArgs.Builder.px(RETENTION.toMillis()));
  }

  @Benchmark
  public String rawSetNxThenSet() {
    byte[] k = (prefix + "n" + counter++).getBytes(StandardCharsets.US_ASCII);
    commands.set(k, value, SetArgs.Builder.nx().px(LEASE.toMillis()));
    return commands.set(k, value, SetArgs.Builder.px(RETENTION.toMillis()));
  }

  @Benchmark
  public boolean redisClaimComplete() {
    IdempotencyKey k = IdempotencyKey.of("bench", "op", "k" + counter++);
    ClaimResult.Acquired a = (ClaimResult.Acquired) store.claim(k, FP, LEASE);
    return store.complete(k, a.ownerToken(), OUTCOME, RETENTION);
  }

  /** The JDBC store on the run's embedded PostgreSQL primary, for the same-run comparison. */
  @State(Scope.Benchmark)
  public static class Jdbc {
    BenchDatabase db;
    HikariDataSource pool;
    JdbcIdempotencyStore store;
    IdempotencyKey completedKey;
    long counter;

    @Setup(Level.Trial)
    public void setUp() {
      db = BenchDatabase.open();
      pool = BenchDatabase.pool("bench-redis-jdbc", BenchDatabase.plain(db.primaryUrl()), 2);
      store =
          JdbcIdempotencyStore.create(
              pool,
              JdbcIdempotencyStoreConfig.custom()
                  .tableName("r4j_idem_vs_redis")
                  .initializeSchema(true)
                  .build());
      completedKey = IdempotencyKey.of("bench", "op", "completed-" + UUID.randomUUID());
      ClaimResult.Acquired a = (ClaimResult.Acquired) store.claim(completedKey, FP, LEASE);
      store.complete(completedKey, a.ownerToken(), OUTCOME, Duration.ofHours(1));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      pool.close();
      db.close();
    }
  }

  @Benchmark
  public ClaimResult jdbcDuplicateClaim(Jdbc jdbc) {
    return jdbc.store.claim(jdbc.completedKey, FP, LEASE);
  }

  @Benchmark
  public boolean jdbcClaimComplete(Jdbc jdbc) {
    IdempotencyKey k = IdempotencyKey.of("bench", "op", prefix + "k" + jdbc.counter++);
    ClaimResult.Acquired a = (ClaimResult.Acquired) jdbc.store.claim(k, FP, LEASE);
    return jdbc.store.complete(k, a.ownerToken(), OUTCOME, RETENTION);
  }

  /** Prints the round trips (commands sent) per store operation, counted by Lettuce. */
  public static void main(String[] args) {
    AtomicLong sent = new AtomicLong();
    RedisClient client = RedisClient.create("redis://127.0.0.1:6379");
    client.addListener(
        new CommandListener() {
          @Override
          public void commandStarted(CommandStartedEvent event) {
            sent.incrementAndGet();
          }
        });
    try (RedisIdempotencyStore store =
        RedisIdempotencyStore.create(
            client,
            RedisIdempotencyStoreConfig.custom()
                .keyPrefix("r4j-bench:" + UUID.randomUUID() + ":")
                .build())) {
      int n = 200;
      long claims = 0;
      long completes = 0;
      long duplicates = 0;
      for (int i = 0; i < n; i++) {
        IdempotencyKey k = IdempotencyKey.of("bench", "op", "rt" + i);
        long s0 = sent.get();
        ClaimResult.Acquired a = (ClaimResult.Acquired) store.claim(k, FP, LEASE);
        long s1 = sent.get();
        store.complete(k, a.ownerToken(), OUTCOME, RETENTION);
        long s2 = sent.get();
        store.claim(k, FP, LEASE);
        long s3 = sent.get();
        claims += s1 - s0;
        completes += s2 - s1;
        duplicates += s3 - s2;
      }
      System.out.printf(
          "round trips per op over %d keys: claim %.2f, complete %.2f, duplicate claim %.2f%n",
          n, claims / (double) n, completes / (double) n, duplicates / (double) n);
    } finally {
      client.shutdown();
    }
  }
}
