package io.github.reliability4j.spring.observation;

import static io.github.reliability4j.spring.observation.ReliabilityObservations.*;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyRecord;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.spring.internal.OperationName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The store as the idempotency engine sees it, with one observation per call (see {@link
 * ReliabilityObservations}). Delegates every call unchanged, on the caller's thread; an exception
 * of the store is recorded on the observation and rethrown as it is.
 */
final class ObservedIdempotencyStore implements IdempotencyStore {

  private final IdempotencyStore store;
  private final ObservationRegistry registry;
  private final String system;

  ObservedIdempotencyStore(IdempotencyStore store, ObservationRegistry registry) {
    this.store = store;
    this.registry = registry;
    this.system = systemOf(store);
  }

  /** OpenTelemetry's db.system.name values where the store's database is known. */
  static String systemOf(IdempotencyStore store) {
    String type = store.getClass().getSimpleName();
    if (type.startsWith("Redis")) {
      return "redis";
    }
    if (type.startsWith("Jdbc")) {
      return "other_sql";
    }
    return store.isLocal() ? "memory" : "other";
  }

  private <T> T observe(
      String call,
      IdempotencyKey key,
      Duration lease,
      Supplier<T> body,
      Function<T, String> outcome) {
    Observation o =
        Observation.createNotStarted(IDEMPOTENCY_STORE, registry)
            .contextualName("idempotency " + call)
            .lowCardinalityKeyValue(DB_SYSTEM, system)
            .lowCardinalityKeyValue(DB_OPERATION, call);
    operation(o, key.operation());
    if (lease != null) {
      o.highCardinalityKeyValue(LEASE, lease.toString());
    }
    o.start();
    try (Observation.Scope scope = o.openScope()) {
      T result = body.get();
      o.lowCardinalityKeyValue(OUTCOME, outcome.apply(result));
      return result;
    } catch (RuntimeException | Error e) {
      o.lowCardinalityKeyValue(OUTCOME, "error");
      o.error(e);
      throw e;
    } finally {
      o.stop();
    }
  }

  static void operation(Observation o, String operation) {
    OperationName n = OperationName.of(operation);
    o.lowCardinalityKeyValue(HTTP_METHOD, n.method())
        .lowCardinalityKeyValue(HTTP_ROUTE, n.uri())
        .lowCardinalityKeyValue(OPERATION, n.operation());
  }

  static String claimOutcome(ClaimResult r) {
    if (r instanceof ClaimResult.Acquired a) {
      return a.takeover() ? "takeover" : "claimed";
    }
    if (r instanceof ClaimResult.Completed) {
      return "replay";
    }
    if (r instanceof ClaimResult.InProgress) {
      return "conflict";
    }
    if (r instanceof ClaimResult.Mismatch) {
      return "mismatch";
    }
    return "other";
  }

  @Override
  public ClaimResult claim(
      IdempotencyKey key, RequestFingerprint fingerprint, Duration leaseDuration) {
    return observe(
        "claim",
        key,
        leaseDuration,
        () -> store.claim(key, fingerprint, leaseDuration),
        ObservedIdempotencyStore::claimOutcome);
  }

  @Override
  public ClaimResult claim(
      IdempotencyKey key,
      RequestFingerprint fingerprint,
      Duration leaseDuration,
      Duration retentionHint) {
    return observe(
        "claim",
        key,
        leaseDuration,
        () -> store.claim(key, fingerprint, leaseDuration, retentionHint),
        ObservedIdempotencyStore::claimOutcome);
  }

  @Override
  public boolean complete(
      IdempotencyKey key, String ownerToken, StoredOutcome outcome, Duration retention) {
    return observe(
        "complete",
        key,
        null,
        () -> store.complete(key, ownerToken, outcome, retention),
        ok -> ok ? "completed" : "not_owner");
  }

  @Override
  public boolean release(IdempotencyKey key, String ownerToken) {
    return observe(
        "release",
        key,
        null,
        () -> store.release(key, ownerToken),
        ok -> ok ? "released" : "not_owner");
  }

  @Override
  public Optional<Instant> renew(IdempotencyKey key, String ownerToken, Duration leaseDuration) {
    return observe(
        "renew",
        key,
        leaseDuration,
        () -> store.renew(key, ownerToken, leaseDuration),
        r -> r.isPresent() ? "renewed" : "not_owner");
  }

  @Override
  public Optional<IdempotencyRecord> find(IdempotencyKey key) {
    return observe(
        "find", key, null, () -> store.find(key), r -> r.isPresent() ? "found" : "absent");
  }

  @Override
  public boolean isLocal() {
    return store.isLocal();
  }

  /** The store's own bounded view, observed the same way (empty if the store has none). */
  @Override
  public Optional<IdempotencyStore> withCallTimeout(Duration timeout) {
    return store
        .withCallTimeout(timeout)
        .map(view -> view == store ? this : new ObservedIdempotencyStore(view, registry));
  }

  @Override
  public String toString() {
    return "Observed[" + store + "]";
  }
}
