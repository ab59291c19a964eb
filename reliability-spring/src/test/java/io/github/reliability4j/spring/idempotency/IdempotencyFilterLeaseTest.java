package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.InMemoryIdempotencyStore;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.context.support.StaticApplicationContext;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.method.HandlerMethod;

/**
 * A handler that runs far longer than the lease keeps its key: the filter renews the lease, so a
 * retry during the execution gets "in progress", never a takeover (which would run it twice).
 */
class IdempotencyFilterLeaseTest {

  static class Handler {
    @Idempotent(operation = "slow")
    public void slow() {}
  }

  @Test
  void leaseIsRenewedWhileTheHandlerRuns() throws Exception {
    InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create();
    IdempotencyProperties properties = new IdempotencyProperties();
    properties.setLeaseDuration(Duration.ofMillis(1500));
    HandlerMethod hm = new HandlerMethod(new Handler(), Handler.class.getMethod("slow"));
    IdempotentHandlerLookup lookup =
        new IdempotentHandlerLookup(new StaticApplicationContext()) {
          @Override
          boolean anyIdempotentHandler() {
            return true;
          }

          @Override
          Match find(jakarta.servlet.http.HttpServletRequest request) {
            return new Match(hm, annotation(hm), "/slow");
          }
        };
    IdempotencyFilter filter =
        new IdempotencyFilter(
            lookup, () -> store, properties, r -> "scope", List.of(), Clock.systemUTC());
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    MockHttpServletRequest request = new MockHttpServletRequest("POST", "/slow");
    request.addHeader("Idempotency-Key", "k1");
    MockFilterChain chain =
        new MockFilterChain(
            new jakarta.servlet.http.HttpServlet() {
              @Override
              protected void service(
                  jakarta.servlet.http.HttpServletRequest req,
                  jakarta.servlet.http.HttpServletResponse res) {
                entered.countDown();
                try {
                  release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                res.setStatus(201);
              }
            });
    MockHttpServletResponse response = new MockHttpServletResponse();
    CompletableFuture<Void> running =
        CompletableFuture.runAsync(
            () -> {
              try {
                filter.doFilter(request, response, chain);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    try {
      assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
      IdempotencyKey key = IdempotencyKey.of("scope", "slow", "k1");
      RequestFingerprint other = RequestFingerprint.ofParts("probe");
      // Watch for three full lease durations: the record must stay in progress throughout.
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4500);
      while (System.nanoTime() < until) {
        assertThat(store.find(key))
            .hasValueSatisfying(r -> assertThat(r.state()).isEqualTo(RecordState.IN_PROGRESS));
        ClaimResult claim = store.claim(key, other, Duration.ofSeconds(1));
        assertThat(claim).isNotInstanceOf(ClaimResult.Acquired.class);
        Thread.onSpinWait();
      }
    } finally {
      release.countDown();
      running.get(30, TimeUnit.SECONDS);
      filter.destroy();
    }
    assertThat(response.getStatus()).isEqualTo(201);
    assertThat(store.find(IdempotencyKey.of("scope", "slow", "k1")))
        .hasValueSatisfying(r -> assertThat(r.state()).isEqualTo(RecordState.COMPLETED));
  }
}
