package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyRecord;
import io.github.reliability4j.core.idempotency.RecordState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.context.request.async.WebAsyncTask;

/**
 * Async Spring MVC handlers over real HTTP: the key stays claimed (lease renewed) until the async
 * result is dispatched, a concurrent retry meanwhile never executes the handler again, and the
 * stored outcome is the dispatched response.
 */
@SpringBootTest(
    classes = {IdempotentTestApp.class, AsyncIdempotentEndpointTest.AsyncOrders.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.idempotency.lease-duration=3s",
      "reliability.routing.enabled=false",
      "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
class AsyncIdempotentEndpointTest {

  @RestController
  static class AsyncOrders {
    final AtomicInteger executions = new AtomicInteger();
    volatile CountDownLatch gate = new CountDownLatch(0);
    volatile CountDownLatch entered = new CountDownLatch(1);
    final ExecutorService pool = Executors.newCachedThreadPool();

    Map<String, Object> work() {
      int n = executions.incrementAndGet();
      entered.countDown();
      try {
        gate.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Map.of("execution", n);
    }

    @Idempotent
    @PostMapping("/async/callable")
    Callable<Map<String, Object>> callable() {
      return this::work;
    }

    @Idempotent
    @PostMapping("/async/deferred")
    DeferredResult<Map<String, Object>> deferred() {
      DeferredResult<Map<String, Object>> result = new DeferredResult<>(60_000L);
      pool.execute(() -> result.setResult(work()));
      return result;
    }

    @Idempotent
    @PostMapping("/async/future")
    CompletableFuture<Map<String, Object>> future() {
      return CompletableFuture.supplyAsync(this::work, pool);
    }

    @Idempotent
    @PostMapping("/async/task")
    WebAsyncTask<Map<String, Object>> task() {
      return new WebAsyncTask<>(60_000L, this::work);
    }

    @Idempotent(concurrency = ConcurrencyMode.WAIT, waitTimeout = "30s")
    @PostMapping("/async/callable-wait")
    Callable<Map<String, Object>> callableWait() {
      return this::work;
    }

    @Idempotent
    @PostMapping("/async/failing")
    Callable<String> failing() {
      return () -> {
        executions.incrementAndGet();
        throw new IllegalStateException("boom");
      };
    }

    @Idempotent
    @PostMapping("/async/timeout")
    DeferredResult<String> timeout() {
      executions.incrementAndGet();
      return new DeferredResult<>(100L); // never set: Spring MVC answers 503 on timeout
    }

    @Idempotent(outcome = Idempotent.Outcomes.ALL)
    @PostMapping("/async/timeout-stored")
    DeferredResult<String> timeoutStored() {
      executions.incrementAndGet();
      return new DeferredResult<>(100L);
    }

    @Idempotent
    @PostMapping("/async/client-error")
    CompletableFuture<org.springframework.http.ResponseEntity<String>> clientError() {
      executions.incrementAndGet();
      return CompletableFuture.supplyAsync(
          () -> org.springframework.http.ResponseEntity.status(404).body("gone"), pool);
    }
  }

  @LocalServerPort int port;
  @Autowired AsyncOrders controller;
  @Autowired Idempotency idempotency;
  @Autowired IdempotencyScopeResolver scopes;

  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void reset() {
    controller.executions.set(0);
    controller.gate = new CountDownLatch(1);
    controller.entered = new CountDownLatch(1);
  }

  @AfterEach
  void open() {
    controller.gate.countDown();
  }

  HttpRequest request(String path, String key) {
    return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", key)
        .POST(HttpRequest.BodyPublishers.ofString("{}"))
        .build();
  }

  HttpResponse<String> post(String path, String key) throws Exception {
    return http.send(request(path, key), HttpResponse.BodyHandlers.ofString());
  }

  CompletableFuture<HttpResponse<String>> postAsync(String path, String key) {
    return http.sendAsync(request(path, key), HttpResponse.BodyHandlers.ofString());
  }

  Optional<IdempotencyRecord> record(String path, String key) {
    String scope = scopes.resolveScope(new MockHttpServletRequest());
    return idempotency.store().find(IdempotencyKey.of(scope, "POST " + path, key));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/async/callable", "/async/deferred", "/async/future", "/async/task"})
  void concurrentRetryDuringAsyncWorkGets409AndTheDispatchedResponseIsReplayed(String path)
      throws Exception {
    String key = UUID.randomUUID().toString();
    CompletableFuture<HttpResponse<String>> first = postAsync(path, key);
    assertThat(controller.entered.await(30, TimeUnit.SECONDS)).isTrue();

    HttpResponse<String> concurrent = post(path, key);
    assertThat(concurrent.statusCode()).isEqualTo(409);
    assertThat(concurrent.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(record(path, key)).map(IdempotencyRecord::state).contains(RecordState.IN_PROGRESS);

    controller.gate.countDown();
    HttpResponse<String> done = first.get(30, TimeUnit.SECONDS);
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body()).isEqualTo("{\"execution\":1}");

    HttpResponse<String> replay = post(path, key);
    assertThat(replay.statusCode()).isEqualTo(200);
    assertThat(replay.body()).isEqualTo(done.body());
    assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(replay.headers().firstValue("Content-Type"))
        .isEqualTo(done.headers().firstValue("Content-Type"));
    assertThat(controller.executions).hasValue(1);
  }

  @Test
  void leaseIsRenewedWhileTheAsyncWorkRuns() throws Exception {
    String path = "/async/deferred";
    String key = UUID.randomUUID().toString();
    CompletableFuture<HttpResponse<String>> first = postAsync(path, key);
    assertThat(controller.entered.await(30, TimeUnit.SECONDS)).isTrue();
    Instant claimed = record(path, key).orElseThrow().expiry();

    // Poll with a deadline until a renewal moved the lease (3s lease) past its first expiry.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Instant now = claimed;
    while (!now.isAfter(claimed) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      now = record(path, key).orElseThrow().expiry();
    }
    assertThat(now).isAfter(claimed);
    assertThat(post(path, key).statusCode()).isEqualTo(409);

    controller.gate.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(controller.executions).hasValue(1);
  }

  @Test
  void waitingRetryGetsTheAsyncResultWithoutASecondExecution() throws Exception {
    String path = "/async/callable-wait";
    String key = UUID.randomUUID().toString();
    CompletableFuture<HttpResponse<String>> first = postAsync(path, key);
    assertThat(controller.entered.await(30, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<HttpResponse<String>> waiting = postAsync(path, key);

    controller.gate.countDown();
    HttpResponse<String> done = first.get(30, TimeUnit.SECONDS);
    HttpResponse<String> waited = waiting.get(30, TimeUnit.SECONDS);
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(waited.statusCode()).isEqualTo(200);
    assertThat(waited.body()).isEqualTo(done.body());
    assertThat(waited.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(controller.executions).hasValue(1);
  }

  @Test
  void asyncFailureReleasesTheKey() throws Exception {
    String key = UUID.randomUUID().toString();
    assertThat(post("/async/failing", key).statusCode()).isEqualTo(500);
    assertThat(record("/async/failing", key)).isEmpty();
    assertThat(post("/async/failing", key).statusCode()).isEqualTo(500);
    assertThat(controller.executions).hasValue(2);
  }

  @Test
  void asyncTimeoutFollowsTheOutcomePolicy() throws Exception {
    String released = UUID.randomUUID().toString();
    assertThat(post("/async/timeout", released).statusCode()).isEqualTo(503);
    assertThat(record("/async/timeout", released)).isEmpty();
    HttpResponse<String> again = post("/async/timeout", released);
    assertThat(again.statusCode()).isEqualTo(503);
    assertThat(again.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(controller.executions).hasValue(2);

    String stored = UUID.randomUUID().toString();
    assertThat(post("/async/timeout-stored", stored).statusCode()).isEqualTo(503);
    HttpResponse<String> replay = post("/async/timeout-stored", stored);
    assertThat(replay.statusCode()).isEqualTo(503);
    assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(controller.executions).hasValue(3);
  }

  @Test
  void asyncClientErrorIsStoredAndReplayed() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> first = post("/async/client-error", key);
    HttpResponse<String> replay = post("/async/client-error", key);
    assertThat(first.statusCode()).isEqualTo(404);
    assertThat(first.body()).isEqualTo("gone");
    assertThat(replay.statusCode()).isEqualTo(404);
    assertThat(replay.body()).isEqualTo("gone");
    assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(controller.executions).hasValue(1);
  }
}
