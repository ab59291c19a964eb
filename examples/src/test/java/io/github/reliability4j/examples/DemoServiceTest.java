package io.github.reliability4j.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.examples.service.DemoApplication;
import io.github.reliability4j.examples.service.EmbeddedPostgres;
import io.github.reliability4j.test.postgres.PostgresCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The demo service on embedded PostgreSQL (primary + streaming replica): the scripted report's
 * guarantees, the bad-input answers, Actuator, and the external-database mode.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoServiceTest {

  private static final String[] QUIET = {
    "--server.port=0",
    "--spring.main.log-startup-info=false",
    "--logging.level.io.github.reliability4j=WARN",
    "--logging.level.com.zaxxer.hikari=ERROR",
    "--reliability.routing.token-secret=test-only-secret-0123456789abcdefghij",
    "--logging.level.io.github.reliability4j.examples.service.ProblemResponses=OFF"
  };

  private ConfigurableApplicationContext service;
  private URI base;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  void start() {
    service = DemoApplication.start(QUIET);
    base =
        URI.create("http://localhost:" + service.getEnvironment().getProperty("local.server.port"));
  }

  @AfterAll
  void stop() {
    if (service != null) {
      service.close();
    }
  }

  @Test
  void theScriptedReportHoldsEveryGuarantee() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DemoReport.Result result =
        new DemoReport(base, new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
    String report = bytes.toString(StandardCharsets.UTF_8);

    assertThat(result.failures()).as(report).isEmpty();
    assertThat(report)
        .contains("POST /payments/unprotected -> 20x 201; rows charged: 20")
        .contains("POST /payments -> 20x 201; rows charged: 1")
        .contains("POST /payments/transactional -> 20x 201; rows charged: 1")
        .contains("GET with the token     -> version 2 from primary")
        .contains("GET without the token  -> version 1 from replica-0")
        .contains("liveness  pass (200)");
  }

  @Test
  void aMissingIdempotencyKeyIsAProblem() throws Exception {
    HttpResponse<String> r = post("/payments", payment("acct-nokey"), null);
    assertProblem(r, 400);
    assertThat(r.body())
        .contains("\"type\":\"https://reliability4j.github.io/problems/idempotency-key-missing\"");
  }

  @Test
  void theTransactionalEndpointAnswersLikeTheAnnotatedOne() throws Exception {
    assertProblem(post("/payments/transactional", payment("acct-tx-nokey"), null), 400);
    assertProblem(post("/payments/transactional", payment("acct-tx-bad"), "\"a b\""), 400);
    String key = key();
    HttpResponse<String> first = post("/payments/transactional", payment("acct-tx-once"), key);
    HttpResponse<String> retry = post("/payments/transactional", payment("acct-tx-once"), key);
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(retry.statusCode()).isEqualTo(201);
    assertThat(retry.body()).isEqualTo(first.body());
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
    HttpResponse<String> reused =
        post("/payments/transactional", payment("acct-tx-once").replace("2500", "1"), key);
    assertProblem(reused, 422);
    // The same problem type as the annotated endpoint's.
    assertThat(reused.body())
        .contains("\"type\":\"https://reliability4j.github.io/problems/idempotency-key-reused\"");
    assertThat(countOf("acct-tx-once")).isEqualTo(1);
  }

  @Test
  void malformedJsonIsAProblemOnEveryEndpoint() throws Exception {
    assertProblem(post("/payments", "{\"account\":", key()), 400);
    assertProblem(post("/payments/unprotected", "not json", null), 400);
    assertProblem(post("/payments/transactional", "[1,2", key()), 400);
    assertProblem(put("/profiles/p-badjson", "{\"displayName\":"), 400);
  }

  @Test
  void invalidFieldsAreProblemsNamingTheField() throws Exception {
    HttpResponse<String> r =
        post("/payments", "{\"account\":\"a\",\"amountCents\":-5,\"currency\":\"EUR\"}", key());
    assertProblem(r, 400);
    assertThat(r.body()).contains("\"field\":\"amountCents\"");

    assertProblem(put("/profiles/has%20space", "{\"displayName\":\"x\"}"), 400);
    assertProblem(put("/profiles/p-empty", "{\"displayName\":\"\"}"), 400);
    assertProblem(get("/payments?account=" + "x".repeat(65), null), 400);
    assertProblem(post("/trouble/replica-lag/maybe", "", null), 400);
  }

  @Test
  void unknownProfilesAndPathsAreNotFoundProblems() throws Exception {
    HttpResponse<String> nobody = get("/profiles/nobody-" + UUID.randomUUID(), null);
    assertProblem(nobody, 404);
    assertThat(nobody.headers().firstValue("Served-By")).isPresent();
    assertProblem(get("/no-such-endpoint", null), 404);
  }

  @Test
  void aKeyReusedForAnotherPaymentIsUnprocessable() throws Exception {
    String key = key();
    assertThat(post("/payments", payment("acct-reuse"), key).statusCode()).isEqualTo(201);
    HttpResponse<String> r = post("/payments", payment("acct-reuse").replace("2500", "9900"), key);
    assertProblem(r, 422);
    assertThat(r.body())
        .contains("\"type\":\"https://reliability4j.github.io/problems/idempotency-key-reused\"")
        .contains("\"title\":\"Idempotency key reused\"");
    assertThat(countOf("acct-reuse")).isEqualTo(1);
  }

  @Test
  void aForgedConsistencyTokenIsNoErrorAndReadsThePrimary() throws Exception {
    String id = "p-forged-" + UUID.randomUUID().toString().substring(0, 8);
    assertThat(put("/profiles/" + id, "{\"displayName\":\"Eve\"}").statusCode()).isEqualTo(200);

    HttpResponse<String> r = get("/profiles/" + id, "r4j1.not-a-real-token");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"displayName\":\"Eve\"");
    assertThat(r.headers().firstValue("Served-By")).contains("primary");
  }

  @Test
  void actuatorServesProbeGroupsAndMetrics() throws Exception {
    HttpResponse<String> live = get("/actuator/health/liveness", null);
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(live.body()).contains("reliabilityLiveness");

    HttpResponse<String> healthJson = get(DemoReport.LIVE, null);
    assertThat(healthJson.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/health+json"));
    assertThat(healthJson.body()).startsWith("{\"status\":\"pass\"");

    String readiness = get(DemoReport.READY, null).body();
    assertThat(readiness)
        .contains("\"db-primary:responseTime\"", "\"db-primary-pool:utilization\"")
        .contains("\"db-replica-0:responseTime\"", "\"replicas:replicationLag\"");

    post("/payments", payment("acct-metrics"), key());
    HttpResponse<String> metrics = get("/actuator/metrics/reliability.idempotency.requests", null);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(get("/actuator/metrics/hikaricp.connections.active", null).statusCode())
        .isEqualTo(200);
  }

  @Test
  void externalDatabasesByPropertiesStartNoEmbeddedCluster() throws Exception {
    PostgresCluster cluster = service.getBean(EmbeddedPostgres.Cluster.class).get().orElseThrow();
    try (ConfigurableApplicationContext external =
        DemoApplication.start(
            concat(
                QUIET,
                "--spring.datasource.url=" + cluster.primary().jdbcUrl(),
                "--reliability.routing.replicas[0].url=" + cluster.replica(0).jdbcUrl()))) {
      assertThat(external.getBean(EmbeddedPostgres.Cluster.class).get()).isEmpty();
      URI other =
          URI.create(
              "http://localhost:" + external.getEnvironment().getProperty("local.server.port"));
      HttpResponse<String> saved =
          send(
              HttpRequest.newBuilder(other.resolve("/profiles/p-external"))
                  .header("Content-Type", "application/json")
                  .PUT(HttpRequest.BodyPublishers.ofString("{\"displayName\":\"Ext\"}")));
      assertThat(saved.statusCode()).isEqualTo(200);
      HttpResponse<String> trouble =
          send(
              HttpRequest.newBuilder(other.resolve("/trouble/replica-lag/on"))
                  .POST(HttpRequest.BodyPublishers.noBody()));
      assertProblem(trouble, 409);

      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DemoReport.Result result =
          new DemoReport(other, new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
      String report = bytes.toString(StandardCharsets.UTF_8);
      assertThat(result.failures()).as(report).isEmpty();
      assertThat(report).contains("skipped: pausing replay needs the embedded cluster");
    }
  }

  /** Issue 13: the transactional endpoint has the same body limit as {@code POST /payments}. */
  @Test
  void bodiesOverTheLimitAreRejectedOnBothPaymentEndpoints() throws Exception {
    // Over the 1 MB limit, under Tomcat's 2 MB swallow size, so the client reads the answer.
    String big =
        "{\"account\":\"acct-big\",\"amountCents\":1,\"currency\":\"EUR\",\"pad\":\""
            + "x".repeat(1_500_000)
            + "\"}";
    for (String path : new String[] {"/payments", "/payments/transactional"}) {
      assertProblem(post(path, big, key()), 413);
      // Streamed (chunked, no Content-Length): counted while read.
      HttpResponse<String> chunked =
          send(
              HttpRequest.newBuilder(base.resolve(path))
                  .header("Content-Type", "application/json")
                  .header("Idempotency-Key", key())
                  .POST(
                      HttpRequest.BodyPublishers.ofInputStream(
                          () ->
                              new java.io.ByteArrayInputStream(
                                  big.getBytes(StandardCharsets.UTF_8)))));
      assertProblem(chunked, 413);
    }
    assertThat(countOf("acct-big")).isZero();
    String key = key();
    assertThat(post("/payments/transactional", payment("acct-small"), key).statusCode())
        .isEqualTo(201);
  }

  /**
   * Issue 13: keys Tomcat itself rejects (over its header size limit, control bytes) get
   * problem+json, not Tomcat's HTML error page. Raw sockets: HTTP clients refuse to send these.
   */
  @Test
  void keysTheContainerRejectsAreProblemsToo() throws Exception {
    for (String key : new String[] {"k".repeat(20_000), "bad\u0001key"}) {
      String raw = rawPost("/payments", key, payment("acct-raw"));
      assertThat(raw).as(raw).startsWith("HTTP/1.1 400");
      String lower = raw.toLowerCase(java.util.Locale.ROOT);
      assertThat(lower).contains("content-type: application/problem+json");
      assertThat(raw).contains("\"status\":400").doesNotContain("<html", "<!doctype");
    }
    assertThat(countOf("acct-raw")).isZero();
  }

  private String rawPost(String path, String key, String body) throws IOException {
    try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(30_000);
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      String head =
          "POST "
              + path
              + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
              + "Content-Type: application/json\r\nContent-Length: "
              + bytes.length
              + "\r\nIdempotency-Key: "
              + key
              + "\r\n\r\n";
      java.io.OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.write(bytes);
      out.flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void embeddedOffWithoutAUrlFailsWithAClearMessage() {
    assertThatThrownBy(() -> DemoApplication.start(concat(QUIET, "--demo.embedded=false")))
        .hasStackTraceContaining("demo.embedded=false needs spring.datasource.url");
  }

  private void assertProblem(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(r.body()).contains("\"status\":" + status).doesNotContain("Exception", "\tat ");
  }

  private long countOf(String account) throws Exception {
    String body = get("/payments?account=" + account, null).body();
    return Long.parseLong(body.replaceAll(".*\"count\":(\\d+).*", "$1"));
  }

  private static String payment(String account) {
    return "{\"account\":\"" + account + "\",\"amountCents\":2500,\"currency\":\"EUR\"}";
  }

  private static String key() {
    return "\"" + UUID.randomUUID() + "\"";
  }

  private static String[] concat(String[] a, String... b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private HttpResponse<String> post(String path, String body, String key) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      r.header("Idempotency-Key", key);
    }
    return send(r);
  }

  private HttpResponse<String> put(String path, String body) throws Exception {
    return send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(body)));
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(base.resolve(path)).GET();
    if (token != null) {
      r.header(DemoReport.CONSISTENCY, token);
    }
    return send(r);
  }

  private HttpResponse<String> send(HttpRequest.Builder r)
      throws IOException, InterruptedException {
    return http.send(
        r.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
