package io.github.reliability4j.spring.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.spring.routing.RoutedDataSource;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The acceptance list of issue 7 on a real replicated PostgreSQL (primary + streaming replica),
 * through real HTTP.
 */
@ReplicatedPostgres(replicas = 1)
@SpringBootTest(
    classes = ReplicatedTestApp.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.routing.token-secret=0123456789abcdef0123456789abcdef-test",
      "reliability.routing.session.cookie.enabled=true",
      "reliability.routing.session.cookie.secure=false",
      "reliability.idempotency.jdbc.initialize-schema=true",
      "spring.datasource.username=postgres",
      "spring.datasource.hikari.maximum-pool-size=40"
    })
class ReplicatedApplicationTest {

  static PostgresCluster cluster;

  @BeforeAll
  static void schema(PostgresCluster c) throws Exception {
    cluster = c;
    try (Connection con = c.primary().dataSource().getConnection();
        Statement st = con.createStatement()) {
      st.execute(
          "create table if not exists it_items(id bigserial primary key, k text not null, name"
              + " text)");
      st.execute("create table if not exists it_values(k text primary key, v text)");
    }
    c.awaitReplicasCaughtUp(Duration.ofSeconds(30));
  }

  @DynamicPropertySource
  static void datasource(DynamicPropertyRegistry registry) {
    registry.add("spring.datasource.url", () -> cluster.primary().jdbcUrl());
    registry.add("reliability.routing.replicas[0].url", () -> cluster.replica(0).jdbcUrl());
  }

  @LocalServerPort int port;
  @Autowired DataSource dataSource;
  @Autowired JdbcTemplate jdbc;
  @Autowired IdempotencyStore store;
  @Autowired io.micrometer.core.instrument.MeterRegistry meters;

  final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void resume() {
    if (cluster.replica(0).isReplayPaused()) {
      cluster.replica(0).resumeReplay();
    }
  }

  HttpResponse<String> send(String method, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void dataSourceBeanIsWrapped() {
    assertThat(dataSource).isInstanceOf(RoutedDataSource.class);
  }

  @Test
  void readOnlyTransactionsHitTheReplicaAndReadWriteOnesThePrimary() throws Exception {
    assertThat(send("GET", "/where/ro", null).body()).isEqualTo("true");
    assertThat(send("GET", "/where/rw", null).body()).isEqualTo("false");
    assertThat(send("GET", "/where/strong", null).body()).isEqualTo("false");

    assertThat(
            meters
                .get("reliability.routing.decisions")
                .tag("role", "replica")
                .tag("access", "read")
                .counters())
        .isNotEmpty();
    assertThat(meters.get("reliability.routing.replica.admitted").tag("node", "replica-0").gauge())
        .isNotNull();
    assertThat(meters.find("reliability.routing.replica.lag.bytes").gauges()).isNotEmpty();
    assertThat(meters.get("reliability.health.probe.status").tag("probe", "db-primary").gauge())
        .isNotNull();
    assertThat(meters.get("reliability.health.probe.status").tag("probe", "db-replica-0").gauge())
        .isNotNull();
    io.micrometer.core.instrument.Gauge replicas =
        meters.get("reliability.health.probe.status").tag("probe", "db-replicas").gauge();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (replicas.value() != 0.0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(replicas.value()).as("db-replicas passes while the replica streams").isEqualTo(0.0);
  }

  @Test
  void consistencyHeaderGivesReadYourWritesWhileReplicaIsPaused() throws Exception {
    String k = "k-" + UUID.randomUUID();
    cluster.replica(0).pauseReplay();

    HttpResponse<String> write = send("PUT", "/values/" + k, "v1");
    assertThat(write.statusCode()).isEqualTo(200);
    String token = write.headers().firstValue("Reliability-Consistency").orElseThrow();

    HttpResponse<String> withToken =
        send("GET", "/values/" + k, null, "Reliability-Consistency", token);
    HttpResponse<String> withoutToken = send("GET", "/values/" + k, null);

    assertThat(withToken.body()).contains("\"value\":\"v1\"").contains("\"replica\":false");
    assertThat(withoutToken.body()).contains("\"value\":null").contains("\"replica\":true");
  }

  /**
   * A second instance of the application (same token secret, same database): the token issued by
   * one instance gives read-your-writes on the other, and a retry sent to the other instance
   * replays the first one's response from the shared JDBC store.
   */
  @Test
  void tokensAndIdempotencyKeysWorkAcrossInstances() throws Exception {
    try (org.springframework.context.ConfigurableApplicationContext other =
        new org.springframework.boot.builder.SpringApplicationBuilder(ReplicatedTestApp.class)
            .properties(
                "server.port=0",
                "reliability.routing.token-secret=0123456789abcdef0123456789abcdef-test",
                "reliability.idempotency.jdbc.initialize-schema=true",
                "reliability.health.enabled=false",
                "spring.datasource.username=postgres",
                "spring.datasource.url=" + cluster.primary().jdbcUrl(),
                "reliability.routing.replicas[0].url=" + cluster.replica(0).jdbcUrl())
            .run()) {
      int otherPort =
          ((org.springframework.boot.web.server.context.WebServerApplicationContext) other)
              .getWebServer()
              .getPort();
      String k = "x-" + UUID.randomUUID();
      cluster.replica(0).pauseReplay();
      String token =
          send("PUT", "/values/" + k, "v4")
              .headers()
              .firstValue("Reliability-Consistency")
              .orElseThrow();

      HttpResponse<String> readOnOther =
          http.send(
              HttpRequest.newBuilder(URI.create("http://localhost:" + otherPort + "/values/" + k))
                  .header("Reliability-Consistency", token)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(readOnOther.body()).contains("\"value\":\"v4\"");

      String key = UUID.randomUUID().toString();
      String body = "{\"k\":\"cross-" + key + "\",\"name\":\"pen\"}";
      HttpResponse<String> first = send("POST", "/items", body, "Idempotency-Key", key);
      HttpResponse<String> retryOnOther =
          http.send(
              HttpRequest.newBuilder(URI.create("http://localhost:" + otherPort + "/items"))
                  .header("Content-Type", "application/json")
                  .header("Idempotency-Key", key)
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(first.statusCode()).isEqualTo(201);
      assertThat(retryOnOther.statusCode()).isEqualTo(201);
      assertThat(retryOnOther.body()).isEqualTo(first.body());
      assertThat(retryOnOther.headers().firstValue("Idempotent-Replayed")).contains("true");
    }
  }

  /** Issue 13: a retry that gets the stored response also gets a token covering the write. */
  @Test
  void aReplayedResponseCarriesAConsistencyTokenCoveringTheWrite() throws Exception {
    String k = "r-" + UUID.randomUUID();
    String key = UUID.randomUUID().toString();
    cluster.replica(0).pauseReplay();
    HttpResponse<String> first = send("POST", "/values/" + k, "v5", "Idempotency-Key", key);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.headers().firstValue("Reliability-Consistency")).isPresent();

    HttpResponse<String> retry = send("POST", "/values/" + k, "v5", "Idempotency-Key", key);
    assertThat(retry.statusCode()).isEqualTo(200);
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
    String token = retry.headers().firstValue("Reliability-Consistency").orElseThrow();

    HttpResponse<String> read = send("GET", "/values/" + k, null, "Reliability-Consistency", token);
    assertThat(read.body()).contains("\"value\":\"v5\"");
    assertThat(send("GET", "/values/" + k, null).body()).contains("\"value\":null");
  }

  /**
   * Issue 13: the starter hands the JDBC idempotency store the primary pool, not the router, so its
   * claim/complete do not read the WAL position and do not move the request's token.
   */
  @Test
  void idempotencyStoreStatementsDoNotTouchTheRequestsConsistencySession() {
    ReplicaRoutingDataSource router = ((RoutedDataSource) dataSource).getRouting();
    ConsistencySession session = ConsistencySession.create();
    IdempotencyKey key = IdempotencyKey.of("scope", "op", UUID.randomUUID().toString());
    try (Consistency.Scope scope = Consistency.session(session)) {
      ClaimResult claim = store.claim(key, RequestFingerprint.sha256("x"), Duration.ofSeconds(30));
      assertThat(claim).isInstanceOf(ClaimResult.Acquired.class);
      assertThat(
              store.complete(
                  key,
                  ((ClaimResult.Acquired) claim).ownerToken(),
                  StoredOutcome.of(200, java.util.Map.of(), new byte[0]),
                  Duration.ofMinutes(5)))
          .isTrue();
    }
    assertThat(router.exportSession(session)).isEmpty();
    assertThat(session.token(router.clusterId())).isEmpty();
  }

  @Test
  void consistencyCookieWorksLikeTheHeader() throws Exception {
    String k = "c-" + UUID.randomUUID();
    cluster.replica(0).pauseReplay();
    HttpResponse<String> write = send("PUT", "/values/" + k, "v2");
    String setCookie = write.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(setCookie).startsWith("RELIABILITY_CONSISTENCY=").contains("HttpOnly");
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));

    HttpResponse<String> read = send("GET", "/values/" + k, null, "Cookie", cookie);
    assertThat(read.body()).contains("\"value\":\"v2\"");
  }

  @Test
  void tamperedTokenIsIgnoredAndTheReadGoesToThePrimary() throws Exception {
    String k = "t-" + UUID.randomUUID();
    HttpResponse<String> write = send("PUT", "/values/" + k, "v3");
    String token = write.headers().firstValue("Reliability-Consistency").orElseThrow();
    // Not the last character: in unpadded base64 its low bits may be padding, so swapping it can
    // leave the decoded bytes unchanged. Every bit of the fifth-last character is significant.
    int at = token.length() - 5;
    char c = token.charAt(at);
    String tampered = token.substring(0, at) + (c == 'A' ? 'B' : 'A') + token.substring(at + 1);

    for (String bad : List.of(tampered, "garbage", "%%%")) {
      HttpResponse<String> read = send("GET", "/values/" + k, null, "Reliability-Consistency", bad);
      assertThat(read.statusCode()).as(bad).isEqualTo(200);
      assertThat(read.body()).as(bad).contains("\"replica\":false");
    }
  }

  @Test
  void thirtyTwoConcurrentIdenticalPostsInsertExactlyOneRow() throws Exception {
    String key = UUID.randomUUID().toString();
    String k = "item-" + key;
    String body = "{\"k\":\"" + k + "\",\"name\":\"book\"}";
    ExecutorService pool = Executors.newFixedThreadPool(32);
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    try {
      for (int i = 0; i < 32; i++) {
        futures.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    start.await();
                    return send("POST", "/items", body, "Idempotency-Key", key);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                pool));
      }
      start.countDown();
      List<HttpResponse<String>> responses = new ArrayList<>();
      for (CompletableFuture<HttpResponse<String>> f : futures) {
        responses.add(f.get(60, TimeUnit.SECONDS));
      }
      assertThat(jdbc.queryForObject("select count(*) from it_items where k = ?", Long.class, k))
          .isEqualTo(1L);
      List<HttpResponse<String>> created =
          responses.stream().filter(r -> r.statusCode() == 201).toList();
      assertThat(created).isNotEmpty();
      assertThat(
              created.stream()
                  .filter(r -> r.headers().firstValue("Idempotent-Replayed").isEmpty())
                  .count())
          .isEqualTo(1);
      String original = created.get(0).body();
      assertThat(created).allMatch(r -> r.body().equals(original));
      assertThat(responses).allMatch(r -> r.statusCode() == 201 || r.statusCode() == 409);

      HttpResponse<String> later = send("POST", "/items", body, "Idempotency-Key", key);
      assertThat(later.statusCode()).isEqualTo(201);
      assertThat(later.body()).isEqualTo(original);
      assertThat(later.headers().firstValue("Idempotent-Replayed")).contains("true");
    } finally {
      pool.shutdownNow();
    }
  }
}
