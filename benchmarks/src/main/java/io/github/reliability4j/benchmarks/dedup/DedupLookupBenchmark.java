package io.github.reliability4j.benchmarks.dedup;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.InMemoryIdempotencyStore;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;

/*
 * Group 1: the in-memory duplicate check, i.e. what a retry of an already completed request costs.
 *
 * - engineReplay: Idempotency.execute(...) on a completed key, engine built with defaults. Since
 *   the in-memory store declares itself local (IdempotencyStore.isLocal()), the engine calls it
 *   directly, without the circuit breaker and the store-call timeout.
 * - caffeineGetIfPresent: the physical floor, a raw Caffeine cache of the same maximum size holding
 *   the same number of (String) keys.
 * - caffeineExpiringGetIfPresent: a reference, not a target: the same raw cache with
 *   expireAfterWrite(24 h) on the system ticker, i.e. the floor of any in-memory dedup whose
 *   records expire. Every read of an expiring Caffeine cache reads a clock (System.nanoTime here),
 *   which the plain cache and Camel's repository (no expiry at all) do not.
 * - camelContains: Apache Camel's MemoryIdempotentRepository (LRU map behind one lock).
 *
 * Keys and fingerprints are precomputed: the request's fingerprint cost is measured separately
 * (FingerprintBenchmark). Lookups follow a per-thread random order over all keys, so the 1e6 case
 * touches memory that is not in the CPU caches, as a real key population would. Only the structure
 * a benchmark method uses is populated in its fork.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public abstract class DedupLookupBenchmark {

  static final String SCOPE = "tenant-42";
  static final String OPERATION = "create-payment";

  @Param({"1000", "100000", "1000000"})
  public int keys;

  private InMemoryIdempotencyStore store;
  private Idempotency engine;
  private IdempotencyKey[] engineKeys;
  private RequestFingerprint fingerprint;
  private Cache<String, Object> caffeine;
  private String[] stringKeys;
  private IdempotentRepository camel;

  private static final Supplier<StoredOutcome> MUST_NOT_RUN =
      () -> {
        throw new IllegalStateException("a completed key was executed again: it was evicted");
      };

  static String clientKey(int i) {
    // The shape of a UUID-like client key; distinct per i.
    return String.format("%08x-5e1f-4c2a-9b7d-%012x", i * 2654435761L & 0xffffffffL, i);
  }

  @Setup(Level.Trial)
  public void setUp(BenchmarkParams params) {
    String method = params.getBenchmark();
    fingerprint = RequestFingerprint.ofParts("POST", "/payments", "{\"amount\":1200}");
    if (method.endsWith(".engineReplay")) {
      store = InMemoryIdempotencyStore.builder().maximumSize(keys).build();
      engineKeys = new IdempotencyKey[keys];
      StoredOutcome outcome = StoredOutcome.ok("{\"paymentId\":\"p-1\",\"status\":\"captured\"}");
      for (int i = 0; i < keys; i++) {
        engineKeys[i] = IdempotencyKey.of(SCOPE, OPERATION, clientKey(i));
        ClaimResult claim = store.claim(engineKeys[i], fingerprint, Duration.ofMinutes(1));
        String token = ((ClaimResult.Acquired) claim).ownerToken();
        if (!store.complete(engineKeys[i], token, outcome, Duration.ofHours(24))) {
          throw new IllegalStateException("could not complete key " + i);
        }
      }
      engine = Idempotency.of(store);
    } else if (method.endsWith(".caffeineGetIfPresent")) {
      populateCaffeine(Caffeine.newBuilder().maximumSize(keys));
    } else if (method.endsWith(".caffeineExpiringGetIfPresent")) {
      populateCaffeine(
          Caffeine.newBuilder().maximumSize(keys).expireAfterWrite(Duration.ofHours(24)));
    } else if (method.endsWith(".camelContains")) {
      camel = MemoryIdempotentRepository.memoryIdempotentRepository(keys);
      camel.start();
      stringKeys = new String[keys];
      for (int i = 0; i < keys; i++) {
        stringKeys[i] = SCOPE + ':' + OPERATION + ':' + clientKey(i);
        camel.add(stringKeys[i]);
      }
    }
    // Promote the population built above out of the young generation now: otherwise the first
    // young collection inside a measurement iteration copies all of it (hundreds of ms at 1e6 keys)
    // and charges the pause to whichever method allocates, however little.
    System.gc();
  }

  private void populateCaffeine(Caffeine<Object, Object> builder) {
    caffeine = builder.build();
    stringKeys = new String[keys];
    Object value = new Object();
    for (int i = 0; i < keys; i++) {
      stringKeys[i] = SCOPE + ':' + OPERATION + ':' + clientKey(i);
      caffeine.put(stringKeys[i], value);
    }
    caffeine.cleanUp();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (camel != null) {
      camel.stop();
    }
    verifyAllPresent();
  }

  private void verifyAllPresent() {
    if (caffeine != null) {
      for (String k : stringKeys) {
        if (caffeine.getIfPresent(k) == null) {
          throw new IllegalStateException("raw Caffeine evicted " + k);
        }
      }
    }
  }

  /** Per-thread lookup order: a random walk over all keys, seeded per thread. */
  @State(Scope.Thread)
  public static class Cursor {
    private static final int SIZE = 1 << 20;
    private static final int MASK = SIZE - 1;
    private int[] order;
    private int next;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params, ThreadParams thread) {
      int keys = Integer.parseInt(params.getParam("keys"));
      SplittableRandom random = new SplittableRandom(0x5eedL + thread.getThreadIndex());
      order = new int[SIZE];
      for (int i = 0; i < SIZE; i++) {
        order[i] = random.nextInt(keys);
      }
    }

    int next() {
      return order[next++ & MASK];
    }
  }

  @Benchmark
  public IdempotencyResult<StoredOutcome> engineReplay(Cursor cursor) {
    return engine.execute(engineKeys[cursor.next()], fingerprint, MUST_NOT_RUN);
  }

  @Benchmark
  public Object caffeineGetIfPresent(Cursor cursor) {
    return caffeine.getIfPresent(stringKeys[cursor.next()]);
  }

  @Benchmark
  public Object caffeineExpiringGetIfPresent(Cursor cursor) {
    return caffeine.getIfPresent(stringKeys[cursor.next()]);
  }

  @Benchmark
  public boolean camelContains(Cursor cursor) {
    return camel.contains(stringKeys[cursor.next()]);
  }
}
