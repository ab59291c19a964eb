package io.github.reliability4j.test.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyRecord;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Stateful property test every {@link IdempotencyStore} should pass: random sequences of claim,
 * complete, release, renew, find and clock moves issued by several workers over a few keys are
 * checked, step by step, against a simple model of the SPI contract. Checked on every step:
 *
 * <ul>
 *   <li>no key is ever executed twice: a claim acquires only when the model has no live record, so
 *       two workers never hold the same key at once;
 *   <li>no completed outcome is lost: until its retention expires, every claim with the same
 *       fingerprint replays exactly the stored outcome and {@code find} returns it;
 *   <li>fencing: complete/release/renew succeed exactly when the worker holds the live lease.
 * </ul>
 *
 * <p>Extend it in a class named {@code *Properties} and implement {@link #createStore(Clock)}. It
 * runs on jqwik, not JUnit Jupiter: Jupiter's {@code @BeforeAll}/{@code @BeforeEach} do not run
 * here, so {@link #createStore} must be self-sufficient (start shared resources lazily).
 */
public abstract class AbstractIdempotencyStoreProperties {

  private static final Duration LEASE = Duration.ofSeconds(10);
  private static final Duration RETENTION = Duration.ofSeconds(30);
  private static final int WORKERS = 3;
  // The SPI requires takeover reporting for in-progress records expired less than this long ago.
  private static final Duration TAKEOVER_REPORT_WINDOW = Duration.ofMinutes(1);
  private static final int KEYS = 3;

  /** Creates the store under test; it must take time only from {@code clock}. */
  protected abstract IdempotencyStore createStore(Clock clock);

  /** Called after each try to close what {@link #createStore} opened. Default: nothing. */
  protected void closeStore(IdempotencyStore store) throws Exception {}

  /** One step of a sequence. */
  sealed interface Op permits Claim, Complete, Release, Renew, Find, Advance {}

  record Claim(int worker, int key, int payload) implements Op {}

  record Complete(int worker, int key, int status) implements Op {}

  record Release(int worker, int key) implements Op {}

  record Renew(int worker, int key) implements Op {}

  record Find(int key) implements Op {}

  record Advance(long millis) implements Op {}

  /** The model's view of one key. */
  private record ModelRecord(
      RequestFingerprint fingerprint,
      RecordState state,
      String ownerToken,
      Instant expiry,
      StoredOutcome outcome) {}

  @Provide
  Arbitrary<List<Op>> sequences() {
    Arbitrary<Integer> worker = Arbitraries.integers().between(0, WORKERS - 1);
    Arbitrary<Integer> key = Arbitraries.integers().between(0, KEYS - 1);
    Arbitrary<Op> claim =
        Combinators.combine(worker, key, Arbitraries.integers().between(0, 3))
            .as((w, k, p) -> new Claim(w, k, p == 3 ? 1 : 0));
    Arbitrary<Op> complete =
        Combinators.combine(worker, key, Arbitraries.of(200, 201, 404, 409, 500)).as(Complete::new);
    Arbitrary<Op> release = Combinators.combine(worker, key).as(Release::new);
    Arbitrary<Op> renew = Combinators.combine(worker, key).as(Renew::new);
    Arbitrary<Op> find = key.map(Find::new);
    Arbitrary<Op> advance =
        Arbitraries.of(1L, 999L, 5_000L, 9_999L, 10_000L, 29_999L, 30_000L).map(Advance::new);
    Arbitrary<Op> op =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, claim),
            net.jqwik.api.Tuple.of(4, complete),
            net.jqwik.api.Tuple.of(2, release),
            net.jqwik.api.Tuple.of(2, renew),
            net.jqwik.api.Tuple.of(2, find),
            net.jqwik.api.Tuple.of(3, advance));
    return op.list().ofMinSize(1).ofMaxSize(60);
  }

  @Property(tries = 200)
  void storeBehavesLikeTheModel(@ForAll("sequences") List<Op> ops) throws Exception {
    MutableClock clock = MutableClock.create();
    IdempotencyStore store = createStore(clock);
    try {
      run(store, clock, ops);
    } finally {
      closeStore(store);
    }
  }

  private void run(IdempotencyStore store, MutableClock clock, List<Op> ops) {
    String scope = "property-" + UUID.randomUUID();
    Map<Integer, ModelRecord> model = new HashMap<>();
    // tokens[worker][key]: the token each worker got from its last successful claim of that key
    String[][] tokens = new String[WORKERS][KEYS];
    for (int step = 0; step < ops.size(); step++) {
      Op op = ops.get(step);
      String at = "step " + step + " " + op + " at " + clock.instant();
      Instant now = clock.instant();
      if (op instanceof Advance) {
        clock.advance(Duration.ofMillis(((Advance) op).millis()));
      } else if (op instanceof Claim) {
        Claim c = (Claim) op;
        RequestFingerprint fp = RequestFingerprint.sha256("payload-" + c.payload());
        ModelRecord m = live(model.get(c.key()), now);
        ClaimResult result = store.claim(key(scope, c.key()), fp, LEASE);
        if (m == null) {
          assertThat(result).as(at).isInstanceOf(ClaimResult.Acquired.class);
          ClaimResult.Acquired a = (ClaimResult.Acquired) result;
          ModelRecord previous = model.get(c.key());
          boolean wasInProgress = previous != null && previous.state() == RecordState.IN_PROGRESS;
          if (!wasInProgress) {
            assertThat(a.takeover()).as(at + " takeover flag").isFalse();
          } else if (now.isBefore(previous.expiry().plus(TAKEOVER_REPORT_WINDOW))) {
            assertThat(a.takeover()).as(at + " takeover flag").isTrue();
          }
          assertThat(a.leaseExpiry()).as(at).isEqualTo(now.plus(LEASE));
          for (String[] workerTokens : tokens) {
            assertThat(a.ownerToken()).as(at + " fresh token").isNotEqualTo(workerTokens[c.key()]);
          }
          tokens[c.worker()][c.key()] = a.ownerToken();
          model.put(
              c.key(),
              new ModelRecord(fp, RecordState.IN_PROGRESS, a.ownerToken(), a.leaseExpiry(), null));
        } else if (!m.fingerprint().equals(fp)) {
          assertThat(result).as(at).isEqualTo(new ClaimResult.Mismatch(m.state()));
        } else if (m.state() == RecordState.COMPLETED) {
          assertThat(result)
              .as(at + " completed outcome must not be lost")
              .isEqualTo(new ClaimResult.Completed(m.outcome(), m.expiry()));
        } else {
          assertThat(result)
              .as(at + " a live key must never be executed twice")
              .isEqualTo(new ClaimResult.InProgress(m.expiry()));
        }
      } else if (op instanceof Complete) {
        Complete c = (Complete) op;
        String token = tokens[c.worker()][c.key()];
        if (token == null) {
          continue;
        }
        StoredOutcome outcome =
            StoredOutcome.of(c.status(), Map.of("step", "" + step), ("s" + step).getBytes());
        boolean owns = owns(model.get(c.key()), token, now);
        assertThat(store.complete(key(scope, c.key()), token, outcome, RETENTION))
            .as(at)
            .isEqualTo(owns);
        if (owns) {
          ModelRecord m = model.get(c.key());
          model.put(
              c.key(),
              new ModelRecord(
                  m.fingerprint(), RecordState.COMPLETED, null, now.plus(RETENTION), outcome));
        }
      } else if (op instanceof Release) {
        Release r = (Release) op;
        String token = tokens[r.worker()][r.key()];
        if (token == null) {
          continue;
        }
        boolean owns = owns(model.get(r.key()), token, now);
        assertThat(store.release(key(scope, r.key()), token)).as(at).isEqualTo(owns);
        if (owns) {
          model.remove(r.key());
        }
      } else if (op instanceof Renew) {
        Renew r = (Renew) op;
        String token = tokens[r.worker()][r.key()];
        if (token == null) {
          continue;
        }
        boolean owns = owns(model.get(r.key()), token, now);
        Optional<Instant> renewed = store.renew(key(scope, r.key()), token, LEASE);
        assertThat(renewed)
            .as(at)
            .isEqualTo(owns ? Optional.of(now.plus(LEASE)) : Optional.empty());
        if (owns) {
          ModelRecord m = model.get(r.key());
          model.put(
              r.key(), new ModelRecord(m.fingerprint(), m.state(), token, now.plus(LEASE), null));
        }
      } else {
        Find f = (Find) op;
        ModelRecord m = live(model.get(f.key()), now);
        Optional<IdempotencyRecord> found = store.find(key(scope, f.key()));
        if (m == null) {
          assertThat(found).as(at).isEmpty();
        } else {
          IdempotencyRecord r = found.orElseThrow(() -> new AssertionError(at + " record lost"));
          assertThat(r.state()).as(at).isEqualTo(m.state());
          assertThat(r.fingerprint()).as(at).isEqualTo(m.fingerprint());
          assertThat(r.expiry()).as(at).isEqualTo(m.expiry());
          assertThat(r.ownerToken()).as(at).isEqualTo(m.ownerToken());
          assertThat(r.outcome()).as(at).isEqualTo(m.outcome());
        }
      }
    }
  }

  private static ModelRecord live(ModelRecord m, Instant now) {
    return m != null && now.isBefore(m.expiry()) ? m : null;
  }

  private static boolean owns(ModelRecord m, String token, Instant now) {
    return m != null
        && m.state() == RecordState.IN_PROGRESS
        && token.equals(m.ownerToken())
        && now.isBefore(m.expiry());
  }

  private static IdempotencyKey key(String scope, int key) {
    return IdempotencyKey.of(scope, "property-op", "key-" + key);
  }
}
