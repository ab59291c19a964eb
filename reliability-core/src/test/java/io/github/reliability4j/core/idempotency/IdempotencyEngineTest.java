package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.event.IdempotencyEvent;
import io.github.reliability4j.core.idempotency.event.IdempotencyEvent.Type;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class IdempotencyEngineTest {

  private final TestClock clock = new TestClock();
  private final TestStore store = new TestStore(clock);
  private final RecordingListener events = new RecordingListener();
  private final AtomicInteger runs = new AtomicInteger();

  private Idempotency engine(IdempotencyConfig config) {
    return Idempotency.builder(store)
        .defaultConfig(config)
        .clock(clock)
        .listener(events)
        .withoutStoreCallTimeout()
        .build();
  }

  private Idempotency engine() {
    return engine(IdempotencyConfig.custom().disableLeaseRenewal().build());
  }

  private static IdempotencyKey key(String k) {
    return IdempotencyKey.of("tenant-1", "create", k);
  }

  private static RequestFingerprint fp(String s) {
    return RequestFingerprint.sha256(s);
  }

  private Supplier<StoredOutcome> action(int status, String body) {
    return () -> {
      runs.incrementAndGet();
      return StoredOutcome.of(status, body.getBytes());
    };
  }

  @Test
  void secondCallReplaysTheStoredOutcomeWithoutRunningTheAction() {
    Idempotency idem = engine();
    IdempotencyResult<StoredOutcome> first = idem.execute(key("k"), fp("p"), action(201, "one"));
    IdempotencyResult<StoredOutcome> second = idem.execute(key("k"), fp("p"), action(201, "two"));
    assertThat(first.status()).isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(second.isReplayed()).isTrue();
    assertThat(second.value()).isEqualTo(first.value());
    assertThat(second.value().bodyAsString()).isEqualTo("one");
    assertThat(runs).hasValue(1);
    assertThat(events.types()).containsExactly(Type.CLAIMED, Type.COMPLETED, Type.REPLAYED);
  }

  @Test
  void typedResultsRoundTripThroughTheCodecAndNullReplaysAsNull() {
    Idempotency idem = engine();
    assertThat(idem.execute(key("s"), fp("p"), OutcomeCodec.utf8(), () -> "value").value())
        .isEqualTo("value");
    IdempotencyResult<String> replay =
        idem.execute(key("s"), fp("p"), OutcomeCodec.utf8(), () -> "other");
    assertThat(replay.isReplayed()).isTrue();
    assertThat(replay.value()).isEqualTo("value");
    assertThat(idem.execute(key("n"), fp("p"), OutcomeCodec.utf8(), () -> null).value()).isNull();
    IdempotencyResult<String> nullReplay =
        idem.execute(key("n"), fp("p"), OutcomeCodec.utf8(), () -> "not null");
    assertThat(nullReplay.isReplayed()).isTrue();
    assertThat(nullReplay.value()).isNull();
    assertThat(idem.execute(key("e"), fp("p"), OutcomeCodec.utf8(), () -> "").value()).isEmpty();
    assertThat(idem.execute(key("e"), fp("p"), OutcomeCodec.utf8(), () -> "x").value()).isEmpty();
  }

  @Test
  void invalidKeysAndNullArgumentsFailBeforeAnyStoreCall() {
    Idempotency idem = engine(IdempotencyConfig.custom().maxKeyLength(255).build());
    IdempotencyKey tooLong = IdempotencyKey.of("s", "create", "k".repeat(256));
    assertThatThrownBy(() -> idem.execute(tooLong, fp("p"), action(200, "x")))
        .isInstanceOfSatisfying(
            InvalidIdempotencyKeyException.class,
            e -> {
              assertThat(e.getComponent()).isEqualTo("clientKey");
              assertThat(e.getMaxLength()).isEqualTo(255);
              assertThat(e.getLength()).isEqualTo(256);
            });
    assertThatThrownBy(() -> idem.execute(null, fp("p"), action(200, "x"))).hasMessage("key");
    assertThatThrownBy(() -> idem.execute(key("k"), null, action(200, "x")))
        .hasMessage("fingerprint");
    assertThatThrownBy(() -> idem.execute(key("k"), fp("p"), (Supplier<StoredOutcome>) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("action");
    assertThatThrownBy(() -> idem.execute(key("k"), fp("p"), null, () -> "x")).hasMessage("codec");
    assertThat(store.calls).hasValue(0);
    assertThat(runs).hasValue(0);
    assertThat(
            idem.execute(
                    IdempotencyKey.of("s", "create", "k".repeat(255)), fp("p"), action(200, "x"))
                .status())
        .isEqualTo(IdempotencyResult.Status.STORED);
  }

  @Test
  void maxKeyLengthIsPerOperation() {
    Idempotency idem =
        Idempotency.builder(store)
            .operationConfig("short", IdempotencyConfig.custom().maxKeyLength(8).build())
            .withoutStoreCallTimeout()
            .build();
    assertThatThrownBy(
            () ->
                idem.execute(
                    IdempotencyKey.of("s", "short", "123456789"), fp("p"), action(200, "x")))
        .isInstanceOf(InvalidIdempotencyKeyException.class);
    assertThat(
            idem.execute(IdempotencyKey.of("s", "other", "123456789"), fp("p"), action(200, "x"))
                .status())
        .isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(store.calls).hasValue(2);
  }

  @Test
  void anExplicitConfigOverridesTheOperationsConfig() {
    Idempotency idem = engine();
    IdempotencyConfig strict = IdempotencyConfig.custom().maxKeyLength(8).build();
    assertThatThrownBy(() -> idem.begin(key("123456789"), fp("p"), strict))
        .isInstanceOf(InvalidIdempotencyKeyException.class);
    assertThatThrownBy(() -> idem.begin(key("12345678"), fp("p"), null)).hasMessage("config");
    try (IdempotentExecution e = idem.begin(key("12345678"), fp("p"), strict)) {
      assertThat(e.config()).isSameAs(strict);
    }
    assertThat(store.calls).hasValue(2);
  }

  @Test
  void serverErrorsAndRetryableClientErrorsReleaseTheKeyTerminalClientErrorsAreStored() {
    Idempotency idem = engine();
    assertThat(idem.execute(key("500"), fp("p"), action(500, "down")).status())
        .isEqualTo(IdempotencyResult.Status.NOT_STORED_BY_POLICY);
    assertThat(idem.execute(key("500"), fp("p"), action(200, "ok")).status())
        .isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(idem.execute(key("429"), fp("p"), action(429, "slow down")).status())
        .isEqualTo(IdempotencyResult.Status.NOT_STORED_BY_POLICY);
    assertThat(store.find(key("429"))).isEmpty();
    assertThat(idem.execute(key("404"), fp("p"), action(404, "nope")).status())
        .isEqualTo(IdempotencyResult.Status.STORED);
    IdempotencyResult<StoredOutcome> replay = idem.execute(key("404"), fp("p"), action(200, "ok"));
    assertThat(replay.isReplayed()).isTrue();
    assertThat(replay.value().status()).isEqualTo(404);
    assertThat(runs).hasValue(4);
    assertThat(events.last(Type.RELEASED).getDetail()).contains("status 429");
  }

  @Test
  void outcomePolicyIsConfigurablePerOperation() {
    Idempotency idem =
        Idempotency.builder(store)
            .operationConfig(
                "stripe-like",
                IdempotencyConfig.custom().outcomePolicy(OutcomePolicy.storeAll()).build())
            .withoutStoreCallTimeout()
            .build();
    IdempotencyKey k = IdempotencyKey.of("s", "stripe-like", "k");
    idem.execute(k, fp("p"), action(500, "boom"));
    IdempotencyResult<StoredOutcome> replay = idem.execute(k, fp("p"), action(200, "ok"));
    assertThat(replay.isReplayed()).isTrue();
    assertThat(replay.value().status()).isEqualTo(500);
  }

  @Test
  void anExceptionReleasesTheKeyAndIsRethrownUnchanged() {
    Idempotency idem = engine();
    IllegalStateException boom = new IllegalStateException("boom");
    assertThatThrownBy(
            () ->
                idem.execute(
                    key("k"),
                    fp("p"),
                    () -> {
                      runs.incrementAndGet();
                      throw boom;
                    }))
        .isSameAs(boom);
    assertThat(store.find(key("k"))).isEmpty();
    assertThat(events.last(Type.RELEASED).getError()).contains(boom);
    assertThat(idem.execute(key("k"), fp("p"), action(200, "ok")).status())
        .isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(runs).hasValue(2);
  }

  @Test
  void aNullOutcomeReleasesTheKeyAndFails() {
    Idempotency idem = engine();
    assertThatThrownBy(() -> idem.execute(key("k"), fp("p"), () -> null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("action returned null");
    assertThat(store.find(key("k"))).isEmpty();
  }

  @Test
  void aThrowingOutcomePolicyReleasesTheKey() {
    Idempotency idem =
        engine(
            IdempotencyConfig.custom()
                .outcomePolicy(
                    o -> {
                      throw new UnsupportedOperationException("policy bug");
                    })
                .build());
    assertThatThrownBy(() -> idem.execute(key("k"), fp("p"), action(200, "x")))
        .hasMessage("policy bug");
    assertThat(store.find(key("k"))).isEmpty();
  }

  @Test
  void anOversizedOutcomeIsReturnedButNotStoredAndTheKeyIsReleased() {
    Idempotency idem = engine(IdempotencyConfig.custom().maxStoredOutcomeBytes(10).build());
    IdempotencyResult<StoredOutcome> big =
        idem.execute(key("k"), fp("p"), action(200, "01234567890"));
    assertThat(big.status()).isEqualTo(IdempotencyResult.Status.OUTCOME_TOO_LARGE);
    assertThat(big.value().bodyAsString()).isEqualTo("01234567890");
    assertThat(store.find(key("k"))).isEmpty();
    IdempotencyEvent e = events.last(Type.OUTCOME_TOO_LARGE);
    assertThat(e.getDetail()).contains("11 bytes").contains("maxStoredOutcomeBytes 10");
    assertThat(idem.execute(key("k"), fp("p"), action(200, "0123456789")).status())
        .as("exactly at the limit is stored")
        .isEqualTo(IdempotencyResult.Status.STORED);
  }

  @Test
  void reusingAKeyWithAnotherPayloadIsAMismatch() {
    Idempotency idem = engine();
    idem.execute(key("k"), fp("p"), action(200, "x"));
    assertThatThrownBy(() -> idem.execute(key("k"), fp("other"), action(200, "y")))
        .isInstanceOfSatisfying(
            IdempotencyKeyMismatchException.class,
            e -> {
              assertThat(e.isRetryable()).isFalse();
              assertThat(e.getExistingState()).isEqualTo(RecordState.COMPLETED);
              assertThat(e.getKey()).isEqualTo(key("k"));
            });
    assertThat(runs).hasValue(1);
    assertThat(events.types()).endsWith(Type.MISMATCH);
  }

  @Test
  void rejectModeThrowsAConflictWhileInProgress() {
    Idempotency idem = engine();
    try (IdempotentExecution owner = idem.begin(key("k"), fp("p"))) {
      assertThat(owner.kind()).isEqualTo(IdempotentExecution.Kind.OWNER);
      assertThatThrownBy(() -> idem.execute(key("k"), fp("p"), action(200, "x")))
          .isInstanceOfSatisfying(
              IdempotencyConflictException.class,
              e -> {
                assertThat(e.isRetryable()).isTrue();
                assertThat(e.isWaited()).isFalse();
                assertThat(e.getLeaseExpiry()).isEqualTo(owner.leaseExpiry().orElseThrow());
              });
    }
    assertThat(runs).hasValue(0);
    assertThat(events.types()).contains(Type.CONFLICT);
    assertThat(store.find(key("k"))).as("close() released the unfinished owner").isEmpty();
  }

  @Test
  void waitModeReplaysTheOwnersOutcome() throws Exception {
    Idempotency idem =
        engine(IdempotencyConfig.custom().concurrencyMode(ConcurrencyMode.WAIT).build());
    IdempotentExecution owner = idem.begin(key("k"), fp("p"));
    CompletableFuture<IdempotencyResult<StoredOutcome>> waiter =
        CompletableFuture.supplyAsync(() -> idem.execute(key("k"), fp("p"), action(200, "waiter")));
    awaitInProgressAnswers(1);
    owner.complete(StoredOutcome.of(201, "owner".getBytes()));
    IdempotencyResult<StoredOutcome> r = waiter.get(30, TimeUnit.SECONDS);
    assertThat(r.isReplayed()).isTrue();
    assertThat(r.value().bodyAsString()).isEqualTo("owner");
    assertThat(runs).hasValue(0);
  }

  @Test
  void waitModeRunsTheActionWhenTheOwnerReleases() throws Exception {
    Idempotency idem =
        engine(IdempotencyConfig.custom().concurrencyMode(ConcurrencyMode.WAIT).build());
    IdempotentExecution owner = idem.begin(key("k"), fp("p"));
    CompletableFuture<IdempotencyResult<StoredOutcome>> waiter =
        CompletableFuture.supplyAsync(() -> idem.execute(key("k"), fp("p"), action(200, "waiter")));
    awaitInProgressAnswers(1);
    owner.release(new RuntimeException("owner failed"));
    IdempotencyResult<StoredOutcome> r = waiter.get(30, TimeUnit.SECONDS);
    assertThat(r.status()).isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(r.value().bodyAsString()).isEqualTo("waiter");
  }

  @Test
  void waitModeGivesUpWithAConflictAfterTheWaitTimeout() {
    Idempotency idem =
        engine(
            IdempotencyConfig.custom()
                .concurrencyMode(ConcurrencyMode.WAIT)
                // Must expire (the owner never finishes), but must not expire before the first
                // poll even on a loaded machine, or the caller gives up without having waited.
                .waitTimeout(Duration.ofSeconds(1))
                .waitPollInterval(Duration.ofMillis(5))
                .build());
    try (IdempotentExecution owner = idem.begin(key("k"), fp("p"))) {
      assertThatThrownBy(() -> idem.execute(key("k"), fp("p"), action(200, "x")))
          .isInstanceOfSatisfying(
              IdempotencyConflictException.class, e -> assertThat(e.isWaited()).isTrue());
      assertThat(store.inProgressAnswers.get()).isGreaterThanOrEqualTo(2);
    }
    assertThat(runs).hasValue(0);
  }

  @Test
  void aThrowingListenerDoesNotChangeTheOutcome() {
    Idempotency idem =
        Idempotency.builder(store)
            .listener(
                e -> {
                  throw new IllegalStateException("listener bug");
                })
            .listener(events)
            .withoutStoreCallTimeout()
            .build();
    assertThat(idem.execute(key("k"), fp("p"), action(200, "x")).status())
        .isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(events.types()).containsExactly(Type.CLAIMED, Type.COMPLETED);
  }

  @Test
  void executionHandleRulesAreEnforced() {
    Idempotency idem = engine();
    IdempotentExecution owner = idem.begin(key("k"), fp("p"));
    assertThat(owner.complete(StoredOutcome.ok("x"))).isEqualTo(IdempotencyResult.Status.STORED);
    assertThatThrownBy(() -> owner.complete(StoredOutcome.ok("y")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already finished");
    assertThatThrownBy(() -> owner.release(null)).isInstanceOf(IllegalStateException.class);
    owner.close();
    IdempotentExecution replay = idem.begin(key("k"), fp("p"));
    assertThat(replay.kind()).isEqualTo(IdempotentExecution.Kind.REPLAY);
    assertThat(replay.ownerToken()).isEmpty();
    assertThatThrownBy(() -> replay.complete(StoredOutcome.ok("z")))
        .isInstanceOf(IllegalStateException.class);
    replay.close();
    assertThat(store.find(key("k")).orElseThrow().state()).isEqualTo(RecordState.COMPLETED);
  }

  @Test
  void externalCompletionWithTheOwnerTokenIsReplayed() {
    Idempotency idem = engine();
    IdempotentExecution owner = idem.begin(key("k"), fp("p"));
    // what a transactional JDBC completion does on the caller's connection
    assertThat(
            store.complete(
                key("k"),
                owner.ownerToken().orElseThrow(),
                StoredOutcome.ok("tx"),
                Duration.ofHours(1)))
        .isTrue();
    owner.markCompletedExternally();
    owner.close();
    assertThat(idem.execute(key("k"), fp("p"), action(200, "again")).value().bodyAsString())
        .isEqualTo("tx");
  }

  /**
   * Must be true: a worker whose lease expired cannot complete or release the new owner's record.
   */
  @Test
  void workerWhoseLeaseExpiredCannotCompleteOrReleaseTheTakeoverRecord() {
    Idempotency idem =
        engine(
            IdempotencyConfig.custom()
                .leaseDuration(Duration.ofSeconds(10))
                .disableLeaseRenewal()
                .build());
    IdempotentExecution late = idem.begin(key("k"), fp("p"));
    IdempotentExecution lateReleaser = idem.begin(key("r"), fp("p"));
    clock.advance(Duration.ofSeconds(11));
    IdempotentExecution current = idem.begin(key("k"), fp("p"));
    IdempotentExecution currentR = idem.begin(key("r"), fp("p"));
    assertThat(current.isTakeover()).isTrue();
    assertThat(events.types()).contains(Type.TAKEOVER);

    assertThat(late.complete(StoredOutcome.ok("late")))
        .isEqualTo(IdempotencyResult.Status.LEASE_LOST);
    assertThat(late.isLeaseLost()).isTrue();
    lateReleaser.release(new RuntimeException("late failure"));
    assertThatThrownBy(() -> idem.begin(key("k"), fp("p")))
        .isInstanceOf(IdempotencyConflictException.class);
    assertThat(store.find(key("k")).orElseThrow().ownerToken())
        .isEqualTo(current.ownerToken().orElseThrow());
    assertThat(store.find(key("r")).orElseThrow().ownerToken())
        .isEqualTo(currentR.ownerToken().orElseThrow());

    assertThat(current.complete(StoredOutcome.ok("current")))
        .isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(idem.execute(key("k"), fp("p"), action(200, "x")).value().bodyAsString())
        .isEqualTo("current");
  }

  @Test
  void completeOrThrowTurnsALostLeaseIntoAnException() {
    Idempotency idem =
        engine(
            IdempotencyConfig.custom()
                .leaseDuration(Duration.ofSeconds(10))
                .disableLeaseRenewal()
                .build());
    IdempotentExecution late = idem.begin(key("k"), fp("p"));
    clock.advance(Duration.ofSeconds(10));
    assertThatThrownBy(() -> late.completeOrThrow(StoredOutcome.ok("late")))
        .isInstanceOfSatisfying(
            LeaseLostException.class,
            e -> assertThat(e.getOwnerToken()).isEqualTo(late.ownerToken().orElseThrow()));
  }

  private void awaitInProgressAnswers(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (store.inProgressAnswers.get() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("waiter never saw the key in progress");
      }
      Thread.sleep(1);
    }
  }
}
