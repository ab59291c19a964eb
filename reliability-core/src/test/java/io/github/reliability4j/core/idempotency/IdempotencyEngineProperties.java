package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random mixes of calls (succeed, fail with 404, fail with 500, throw) on a few keys, issued by
 * several threads at once through the engine in WAIT mode. Whatever the interleaving:
 *
 * <ul>
 *   <li>no key's action produces a storable outcome twice (never executed twice once it counts);
 *   <li>the stored outcome is never lost: it is in the store at the end, and every replay returned
 *       exactly it;
 *   <li>outcomes the policy does not store, and exceptions, leave the key free for the next call.
 * </ul>
 */
class IdempotencyEngineProperties {

  enum Behaviour {
    OK,
    NOT_FOUND,
    SERVER_ERROR,
    THROW
  }

  record Call(int key, Behaviour behaviour) {}

  private static final int THREADS = 4;
  private static ExecutorService pool;

  @BeforeContainer
  static void startPool() {
    pool = Executors.newFixedThreadPool(THREADS);
  }

  @AfterContainer
  static void stopPool() {
    pool.shutdownNow();
  }

  @Provide
  Arbitrary<List<Call>> calls() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 2), Arbitraries.of(Behaviour.class))
        .as(Call::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(40);
  }

  @Property(tries = 40)
  void concurrentCallsExecuteEachKeyOnceAndNeverLoseTheOutcome(@ForAll("calls") List<Call> calls)
      throws Exception {
    TestClock clock = new TestClock();
    TestStore store = new TestStore(clock);
    Idempotency idem =
        Idempotency.builder(store)
            .defaultConfig(
                IdempotencyConfig.custom()
                    .concurrencyMode(ConcurrencyMode.WAIT)
                    .waitTimeout(Duration.ofSeconds(30))
                    .disableLeaseRenewal()
                    .build())
            .withoutStoreCallTimeout()
            .build();
    Map<Integer, List<StoredOutcome>> storableExecutions = new ConcurrentHashMap<>();
    Map<Integer, List<StoredOutcome>> replays = new ConcurrentHashMap<>();
    List<String> unexpected = new CopyOnWriteArrayList<>();
    AtomicInteger sequence = new AtomicInteger();
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      futures.add(
          pool.submit(
              () -> {
                go.await();
                for (int i = thread; i < calls.size(); i += THREADS) {
                  run(idem, calls.get(i), sequence, storableExecutions, replays, unexpected);
                }
                return null;
              }));
    }
    go.countDown();
    for (Future<?> f : futures) {
      f.get(1, TimeUnit.MINUTES);
    }

    assertThat(unexpected).isEmpty();
    for (int key = 0; key < 3; key++) {
      List<StoredOutcome> executed = storableExecutions.getOrDefault(key, List.of());
      assertThat(executed).as("storable executions of key %d", key).hasSizeLessThanOrEqualTo(1);
      int k = key;
      boolean anyStorableCall =
          calls.stream()
              .anyMatch(
                  c ->
                      c.key() == k
                          && (c.behaviour() == Behaviour.OK
                              || c.behaviour() == Behaviour.NOT_FOUND));
      assertThat(executed.size()).as("key %d", key).isEqualTo(anyStorableCall ? 1 : 0);
      if (executed.isEmpty()) {
        assertThat(store.find(key(key))).as("key %d left free", key).isEmpty();
        assertThat(replays.getOrDefault(key, List.of())).isEmpty();
      } else {
        StoredOutcome stored = executed.get(0);
        assertThat(store.find(key(key)).orElseThrow().outcome()).isEqualTo(stored);
        assertThat(replays.getOrDefault(key, List.of())).allMatch(stored::equals);
      }
    }
  }

  private static void run(
      Idempotency idem,
      Call call,
      AtomicInteger sequence,
      Map<Integer, List<StoredOutcome>> storableExecutions,
      Map<Integer, List<StoredOutcome>> replays,
      List<String> unexpected) {
    try {
      IdempotencyResult<StoredOutcome> r =
          idem.execute(
              key(call.key()),
              RequestFingerprint.sha256("same payload"),
              () -> {
                int n = sequence.incrementAndGet();
                switch (call.behaviour()) {
                  case THROW:
                    throw new IllegalStateException("boom " + n);
                  case SERVER_ERROR:
                    return StoredOutcome.of(500, ("e" + n).getBytes());
                  case NOT_FOUND:
                    return StoredOutcome.of(404, ("nf" + n).getBytes());
                  default:
                    return StoredOutcome.of(200, ("ok" + n).getBytes());
                }
              });
      switch (r.status()) {
        case REPLAYED:
          replays.computeIfAbsent(call.key(), k -> new CopyOnWriteArrayList<>()).add(r.value());
          break;
        case STORED:
          storableExecutions
              .computeIfAbsent(call.key(), k -> new CopyOnWriteArrayList<>())
              .add(r.value());
          break;
        case NOT_STORED_BY_POLICY:
          if (call.behaviour() != Behaviour.SERVER_ERROR) {
            unexpected.add(call + " -> " + r.status());
          }
          break;
        default:
          unexpected.add(call + " -> " + r.status());
      }
    } catch (IllegalStateException e) {
      if (call.behaviour() != Behaviour.THROW) {
        unexpected.add(call + " threw " + e);
      }
    } catch (RuntimeException e) {
      unexpected.add(call + " threw " + e);
    }
  }

  private static IdempotencyKey key(int key) {
    return IdempotencyKey.of("tenant", "op", "key-" + key);
  }
}
