package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Real HTTP against the in-memory store: the protocol semantics of {@link Idempotent}. */
@SpringBootTest(
    classes = IdempotentTestApp.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.idempotency.max-body-size=2KB",
      "reliability.routing.enabled=false",
      "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
class IdempotentEndpointTest {

  @LocalServerPort int port;
  @Autowired IdempotentTestApp.OrdersController controller;
  @Autowired io.micrometer.core.instrument.MeterRegistry meters;

  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void reset() {
    controller.executions.set(0);
    controller.plainExecutions.set(0);
  }

  HttpResponse<String> post(String path, String key, String body, String user) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      b.header("Idempotency-Key", key);
    }
    if (user != null) {
      String pw = user.equals("alice") ? "a" : "b";
      b.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString((user + ":" + pw).getBytes(StandardCharsets.UTF_8)));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String key() {
    return java.util.UUID.randomUUID().toString();
  }

  @Test
  void firstRequestExecutesAndRetryReplaysStatusHeadersAndBody() throws Exception {
    String k = key();
    HttpResponse<String> first = post("/orders", k, "{\"item\":\"book\"}", null);
    HttpResponse<String> retry = post("/orders", "\"" + k + "\"", "{\"item\":\"book\"}", null);

    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.headers().firstValue("Set-Cookie")).isPresent();
    assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(retry.statusCode()).isEqualTo(201);
    assertThat(retry.body()).isEqualTo(first.body());
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(retry.headers().firstValue("Location"))
        .isEqualTo(first.headers().firstValue("Location"));
    assertThat(retry.headers().firstValue("ETag")).isEqualTo(first.headers().firstValue("ETag"));
    assertThat(retry.headers().firstValue("Content-Type"))
        .isEqualTo(first.headers().firstValue("Content-Type"));
    assertThat(retry.headers().firstValue("Set-Cookie")).isEmpty();
    assertThat(retry.headers().firstValue("X-Internal")).isEmpty();
    assertThat(controller.executions.get()).isEqualTo(1);
    assertThat(
            meters
                .get("reliability.idempotency.requests")
                .tag("method", "POST")
                .tag("uri", "/orders")
                .tag("operation", "http")
                .tag("result", "replayed")
                .counter()
                .count())
        .isPositive();
    assertThat(meters.get("reliability.idempotency.store.latency").timers()).isNotEmpty();
  }

  @Test
  void missingKeyIs400ProblemAndHandlerDoesNotRun() throws Exception {
    HttpResponse<String> r = post("/orders", null, "{}", null);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
    assertThat(r.body()).contains("\"status\":400").contains("Idempotency-Key");
    assertThat(controller.executions.get()).isZero();
  }

  @Test
  void malformedAndOverlongKeysAre400() throws Exception {
    for (String bad :
        List.of(
            "\"unterminated",
            "two words",
            "\"bad\\escape\"",
            "\"\"",
            "\"k\";param=1",
            "caf\u00e9",
            "x".repeat(256))) {
      HttpResponse<String> r = post("/orders", bad, "{}", null);
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      assertThat(r.body()).as(bad).contains("\"status\":400");
    }
    assertThat(post("/orders", "x".repeat(255), "{}", null).statusCode()).isEqualTo(201);
    assertThat(controller.executions.get()).isEqualTo(1);
  }

  @Test
  void repeatedHeaderIs400() throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/orders"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", "a")
            .header("Idempotency-Key", "b")
            .POST(HttpRequest.BodyPublishers.ofString("{}"))
            .build();
    assertThat(http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
    assertThat(controller.executions.get()).isZero();
  }

  @Test
  void sameKeyDifferentBodyIs422Problem() throws Exception {
    String k = key();
    assertThat(post("/orders", k, "{\"item\":\"book\"}", null).statusCode()).isEqualTo(201);
    HttpResponse<String> r = post("/orders", k, "{\"item\":\"pen\"}", null);
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("application/problem+json");
    assertThat(controller.executions.get()).isEqualTo(1);
  }

  @Test
  void fingerprintUsesCanonicalQueryAndConcretePath() throws Exception {
    String k = key();
    HttpResponse<String> first = post("/accounts/1/charges?amount=5&note=x", k, "", null);
    HttpResponse<String> reordered = post("/accounts/1/charges?note=x&amount=5", k, "", null);
    HttpResponse<String> otherAmount = post("/accounts/1/charges?amount=6&note=x", k, "", null);
    HttpResponse<String> otherAccount = post("/accounts/2/charges?amount=5&note=x", k, "", null);

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(reordered.statusCode()).isEqualTo(200);
    assertThat(reordered.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(otherAmount.statusCode()).isEqualTo(422);
    assertThat(otherAccount.statusCode()).isEqualTo(422);
    assertThat(controller.executions.get()).isEqualTo(1);
  }

  @Test
  void oneUsersKeyNeverReplaysAnotherUsersResponse() throws Exception {
    String k = key();
    HttpResponse<String> alice = post("/orders", k, "{\"item\":\"book\"}", "alice");
    HttpResponse<String> bob = post("/orders", k, "{\"item\":\"book\"}", "bob");
    HttpResponse<String> anonymous = post("/orders", k, "{\"item\":\"book\"}", null);
    HttpResponse<String> aliceAgain = post("/orders", k, "{\"item\":\"book\"}", "alice");

    assertThat(alice.statusCode()).isEqualTo(201);
    assertThat(bob.statusCode()).isEqualTo(201);
    assertThat(bob.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(bob.body()).isNotEqualTo(alice.body());
    assertThat(anonymous.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(aliceAgain.body()).isEqualTo(alice.body());
    assertThat(aliceAgain.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(controller.executions.get()).isEqualTo(3);
  }

  @Test
  void keyOnUnannotatedEndpointIsIgnored() throws Exception {
    String k = key();
    post("/plain", k, "{}", null);
    HttpResponse<String> second = post("/plain", k, "{}", null);
    assertThat(second.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(controller.plainExecutions.get()).isEqualTo(2);
    assertThat(post("/plain", "\"malformed", "{}", null).statusCode()).isEqualTo(200);
  }

  @Test
  void optionalKeyRunsUnprotectedWithoutKeyAndDedupsWithOne() throws Exception {
    post("/optional", null, "", null);
    post("/optional", null, "", null);
    String k = key();
    post("/optional", k, "", null);
    HttpResponse<String> r = post("/optional", k, "", null);
    assertThat(r.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(controller.executions.get()).isEqualTo(3);
  }

  @Test
  void serverErrorsAreNotStoredButClientErrorsAre() throws Exception {
    String k = key();
    assertThat(post("/server-error", k, "", null).statusCode()).isEqualTo(503);
    assertThat(post("/server-error", k, "", null).statusCode()).isEqualTo(503);
    assertThat(controller.executions.get()).isEqualTo(2);

    String k2 = key();
    HttpResponse<String> first = post("/not-found", k2, "", null);
    HttpResponse<String> again = post("/not-found", k2, "", null);
    assertThat(first.statusCode()).isEqualTo(404);
    assertThat(again.statusCode()).isEqualTo(404);
    assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(controller.executions.get()).isEqualTo(3);
  }

  @Test
  void overLargeBodyIs413AndHandlerDoesNotRun() throws Exception {
    HttpResponse<String> r =
        post("/orders", key(), "{\"item\":\"" + "x".repeat(3000) + "\"}", null);
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.body()).contains("\"status\":413");
    assertThat(controller.executions.get()).isZero();
  }

  @Test
  void inFlightKeyIs409WithRetryAfterThenReplays() throws Exception {
    controller.gate = new CountDownLatch(1);
    controller.entered = new CountDownLatch(1);
    String k = key();
    CompletableFuture<HttpResponse<String>> first =
        CompletableFuture.supplyAsync(() -> unchecked(() -> post("/slow", k, "", null)));
    assertThat(controller.entered.await(20, TimeUnit.SECONDS)).isTrue();

    HttpResponse<String> concurrent = post("/slow", k, "", null);
    assertThat(concurrent.statusCode()).isEqualTo(409);
    assertThat(concurrent.headers().firstValue("Retry-After")).contains("1");
    assertThat(concurrent.body()).contains("\"status\":409");

    controller.gate.countDown();
    assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    HttpResponse<String> later = post("/slow", k, "", null);
    assertThat(later.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(controller.executions.get()).isEqualTo(1);
  }

  @Test
  void waitModeWaitsForTheFirstOutcome() throws Exception {
    controller.gate = new CountDownLatch(1);
    controller.entered = new CountDownLatch(1);
    String k = key();
    CompletableFuture<HttpResponse<String>> first =
        CompletableFuture.supplyAsync(() -> unchecked(() -> post("/slow-wait", k, "", null)));
    assertThat(controller.entered.await(20, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<HttpResponse<String>> second =
        CompletableFuture.supplyAsync(() -> unchecked(() -> post("/slow-wait", k, "", null)));
    controller.gate.countDown();

    HttpResponse<String> a = first.get(30, TimeUnit.SECONDS);
    HttpResponse<String> b = second.get(30, TimeUnit.SECONDS);
    assertThat(b.statusCode()).isEqualTo(200);
    assertThat(b.body()).isEqualTo(a.body());
    assertThat(controller.executions.get()).isEqualTo(1);
  }

  interface IoCall<T> {
    T call() throws Exception;
  }

  static <T> T unchecked(IoCall<T> c) {
    try {
      return c.call();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
