package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IdempotentRetryTest {

  private static Retry retry(int attempts) {
    return Retry.of(
        "test",
        RetryConfig.custom()
            .maxAttempts(attempts)
            .waitDuration(Duration.ofMillis(1))
            .retryExceptions(
                IOException.class,
                java.io.UncheckedIOException.class,
                IdempotencyConflictException.class)
            .build());
  }

  @Test
  void everyAttemptOfOneLogicalOperationUsesTheSameKey() {
    List<String> keysSeen = new ArrayList<>();
    IdempotentRetry retry = IdempotentRetry.of(retry(3));
    String result =
        retry.call(
            key -> {
              keysSeen.add(key);
              if (keysSeen.size() < 3) {
                throw new java.io.UncheckedIOException(new IOException("timeout"));
              }
              return "ok";
            });
    assertThat(result).isEqualTo("ok");
    assertThat(keysSeen).hasSize(3);
    assertThat(keysSeen).containsOnly(keysSeen.get(0));
  }

  @Test
  void differentLogicalOperationsGetDifferentKeys() {
    IdempotentRetry retry = IdempotentRetry.of(retry(1));
    String a = retry.call(key -> key);
    String b = retry.call(key -> key);
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void checkedCallsAreRetriedWithTheSameKeyAndEndToEndDeduplicated() throws Exception {
    // a server deduplicating on the key: the first attempt executes but its response is lost
    TestClock clock = new TestClock();
    Idempotency server =
        Idempotency.builder(new TestStore(clock)).withoutStoreCallTimeout().build();
    AtomicInteger executions = new AtomicInteger();
    AtomicInteger attempts = new AtomicInteger();
    IdempotentRetry retry = IdempotentRetry.of(retry(3), () -> "fixed-key-1");
    String result =
        retry.callChecked(
            key -> {
              String response =
                  server
                      .execute(
                          IdempotencyKey.of("client-a", "charge", key),
                          RequestFingerprint.sha256("amount=10"),
                          OutcomeCodec.utf8(),
                          () -> "charged-" + executions.incrementAndGet())
                      .value();
              if (attempts.incrementAndGet() == 1) {
                throw new IOException("response lost");
              }
              return response;
            });
    assertThat(result).isEqualTo("charged-1");
    assertThat(executions).hasValue(1);
    assertThat(attempts).hasValue(2);
  }

  @Test
  void invalidKeysAreRejectedBeforeTheFirstAttempt() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(
            () -> IdempotentRetry.of(retry(3), () -> "").call(k -> calls.incrementAndGet()))
        .isInstanceOf(InvalidIdempotencyKeyException.class);
    assertThatThrownBy(
            () -> IdempotentRetry.of(retry(3), () -> null).call(k -> calls.incrementAndGet()))
        .hasMessage("keyGenerator returned null");
    assertThatThrownBy(
            () -> IdempotentRetry.of(retry(3)).call("x".repeat(256), k -> calls.incrementAndGet()))
        .isInstanceOf(InvalidIdempotencyKeyException.class);
    assertThatThrownBy(
            () -> IdempotentRetry.of(retry(3)).call("a\nb", k -> calls.incrementAndGet()))
        .isInstanceOf(InvalidIdempotencyKeyException.class);
    assertThat(calls).hasValue(0);
  }
}
