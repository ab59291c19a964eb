package io.github.reliability4j.spring.observation;

import static io.github.reliability4j.spring.observation.ReliabilityObservations.*;
import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.InMemoryIdempotencyStore;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.NodeRole;
import io.github.reliability4j.core.routing.ReadPreference;
import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.spring.metrics.HealthMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.time.Duration;
import java.time.Instant;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/** The observations of issue 20 item 3, recorded into Micrometer's TestObservationRegistry. */
class ReliabilityObservationTest {

  final TestObservationRegistry registry = TestObservationRegistry.create();

  static final RequestFingerprint PAYMENT = RequestFingerprint.ofParts("25.00", "EUR");

  @Test
  void everyClaimResultOfAnIdempotentRequestIsAnObservationWithItsOutcome() {
    ObservedIdempotencyStore store =
        new ObservedIdempotencyStore(InMemoryIdempotencyStore.create(), registry);
    IdempotencyKey key = IdempotencyKey.of("tenant-a", "POST /payments", "order-1");
    Duration lease = Duration.ofSeconds(30);

    ClaimResult.Acquired first = (ClaimResult.Acquired) store.claim(key, PAYMENT, lease);
    store.claim(key, PAYMENT, lease); // in progress: conflict
    store.complete(
        key, first.ownerToken(), StoredOutcome.of(201, new byte[0]), Duration.ofHours(1));
    store.claim(key, PAYMENT, lease); // replay
    store.claim(key, RequestFingerprint.ofParts("99.00", "EUR"), lease); // mismatch

    for (String outcome : new String[] {"claimed", "conflict", "replay", "mismatch"}) {
      assertThat(registry)
          .hasAnObservation(
              o ->
                  o.hasNameEqualTo(IDEMPOTENCY_STORE)
                      .hasLowCardinalityKeyValue(DB_OPERATION, "claim")
                      .hasLowCardinalityKeyValue(OUTCOME, outcome)
                      .hasLowCardinalityKeyValue(DB_SYSTEM, "memory")
                      .hasLowCardinalityKeyValue(HTTP_METHOD, "POST")
                      .hasLowCardinalityKeyValue(HTTP_ROUTE, "/payments")
                      .hasLowCardinalityKeyValue(OPERATION, "http")
                      .hasHighCardinalityKeyValue(LEASE, "PT30S")
                      .doesNotHaveLowCardinalityKeyValueWithKey(LEASE));
    }
    assertThat(registry)
        .hasAnObservation(
            o ->
                o.hasNameEqualTo(IDEMPOTENCY_STORE)
                    .hasLowCardinalityKeyValue(DB_OPERATION, "complete")
                    .hasLowCardinalityKeyValue(OUTCOME, "completed"));
    assertThat(registry).hasNumberOfObservationsWithNameEqualTo(IDEMPOTENCY_STORE, 5);
  }

  @Test
  void theKeyTheClientSentIsNeverAKeyValue() {
    ObservedIdempotencyStore store =
        new ObservedIdempotencyStore(InMemoryIdempotencyStore.create(), registry);
    IdempotencyKey key = IdempotencyKey.of("tenant-secret-scope", "payments", "client-key-123");
    store.claim(key, PAYMENT, Duration.ofSeconds(5));
    assertThat(registry)
        .hasSingleObservationThat()
        .hasLowCardinalityKeyValue(OPERATION, "payments")
        .hasLowCardinalityKeyValue(HTTP_METHOD, "NONE")
        .satisfies(
            ctx ->
                Assertions.assertThat(ctx.getAllKeyValues().stream().map(kv -> kv.getValue()))
                    .doesNotContain("client-key-123", "tenant-secret-scope"));
  }

  @Test
  void aFailingStoreCallIsRecordedAsAnErrorAndRethrown() {
    RuntimeException down = new IllegalStateException("store down");
    ObservedIdempotencyStore store = new ObservedIdempotencyStore(failing(down), registry);
    assertThatThrownBy(
            () -> store.claim(IdempotencyKey.of("s", "op", "k"), PAYMENT, Duration.ofSeconds(1)))
        .isSameAs(down);
    assertThat(registry)
        .hasSingleObservationThat()
        .hasBeenStopped()
        .hasLowCardinalityKeyValue(OUTCOME, "error")
        .hasError(down);
  }

  static io.github.reliability4j.core.idempotency.IdempotencyStore failing(RuntimeException e) {
    InMemoryIdempotencyStore real = InMemoryIdempotencyStore.create();
    return new io.github.reliability4j.core.idempotency.IdempotencyStore() {
      @Override
      public ClaimResult claim(IdempotencyKey key, RequestFingerprint fp, Duration lease) {
        throw e;
      }

      @Override
      public boolean complete(
          IdempotencyKey key, String owner, StoredOutcome outcome, Duration retention) {
        return real.complete(key, owner, outcome, retention);
      }

      @Override
      public boolean release(IdempotencyKey key, String owner) {
        return real.release(key, owner);
      }

      @Override
      public java.util.Optional<Instant> renew(IdempotencyKey key, String owner, Duration lease) {
        return real.renew(key, owner, lease);
      }

      @Override
      public java.util.Optional<io.github.reliability4j.core.idempotency.IdempotencyRecord> find(
          IdempotencyKey key) {
        return real.find(key);
      }
    };
  }

  @Test
  void aRoutingDecisionAFallbackAndACausalWaitAreObservedWithTheNodeAndTheReason() {
    RoutingObservations routing = new RoutingObservations(registry);
    RouteDecision toReplica =
        new RouteDecision(
            "replica-0",
            NodeRole.REPLICA,
            ConsistencyLevel.READ_YOUR_WRITES,
            ReadPreference.REPLICA_PREFERRED,
            false,
            null,
            false);
    routing.onRoute(toReplica);
    routing.onFallback(FallbackReason.values()[0], toReplica);
    routing.onCausalWait("replica-0", Duration.ofMillis(12), true);

    assertThat(registry)
        .hasAnObservation(
            o ->
                o.hasNameEqualTo(ROUTING_DECISION)
                    .hasLowCardinalityKeyValue(NODE, "replica-0")
                    .hasLowCardinalityKeyValue(ROLE, "replica")
                    .hasLowCardinalityKeyValue(ACCESS, "read"))
        .hasAnObservation(
            o ->
                o.hasNameEqualTo(ROUTING_FALLBACK)
                    .hasLowCardinalityKeyValue(
                        REASON, FallbackReason.values()[0].name().toLowerCase())
                    .hasHighCardinalityKeyValue(NODE, "replica-0"))
        .hasAnObservation(
            o ->
                o.hasNameEqualTo(ROUTING_CAUSAL_WAIT)
                    .hasLowCardinalityKeyValue(NODE, "replica-0")
                    .hasLowCardinalityKeyValue(COVERED, "true")
                    .hasHighCardinalityKeyValue(WAITED, "PT0.012S"));
  }

  @Test
  void aProbeEvaluationIsAnObservationAndATimerSample() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ProbeContext context =
        new ProbeContext("db", Instant.parse("2026-01-01T00:00:00Z"), Duration.ofSeconds(1));
    new ObservedProbe(
            "db",
            c ->
                ProbeResult.builder(io.github.reliability4j.core.health.HealthStatus.WARN)
                    .output("slow")
                    .build(),
            registry,
            meters)
        .check(context);
    Exception broken = new java.sql.SQLException("connection refused");
    assertThatThrownBy(
            () ->
                new ObservedProbe(
                        "cache",
                        c -> {
                          throw broken;
                        },
                        registry,
                        meters)
                    .check(context))
        .isSameAs(broken);

    assertThat(registry)
        .hasAnObservation(
            o ->
                o.hasNameEqualTo(PROBE)
                    .hasLowCardinalityKeyValue(PROBE_NAME, "db")
                    .hasLowCardinalityKeyValue(STATUS, "warn")
                    .hasHighCardinalityKeyValue(PROBE_OUTPUT, "slow"))
        .hasAnObservation(
            o ->
                o.hasNameEqualTo(PROBE)
                    .hasLowCardinalityKeyValue(PROBE_NAME, "cache")
                    .hasLowCardinalityKeyValue(STATUS, "fail")
                    .hasError(broken));
    Assertions.assertThat(
            meters
                .get(HealthMetrics.PROBE_DURATION)
                .tag("probe", "db")
                .tag("status", "warn")
                .timer()
                .count())
        .isEqualTo(1);
    Assertions.assertThat(
            meters.get(HealthMetrics.PROBE_DURATION).tag("probe", "cache").timer().count())
        .isEqualTo(1);
  }
}
