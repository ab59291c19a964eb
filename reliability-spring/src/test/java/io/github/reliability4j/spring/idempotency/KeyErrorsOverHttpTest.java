package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

/**
 * Every key the stack rejects answers 400 problem+json over a real server, with a typed problem:
 * over-long client keys (1,025 to 8,192 characters: the header limit is raised so Tomcat lets them
 * through to the filter), and a key the core refuses although the header was fine (a scope longer
 * than {@code IdempotencyKey.ABSOLUTE_MAX_LENGTH} from a custom scope resolver). The handler never
 * runs for a rejected key.
 */
@SpringBootTest(
    classes = {IdempotentTestApp.class, KeyErrorsOverHttpTest.LongScopes.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.idempotency.max-key-length=1024",
      "server.max-http-request-header-size=64KB",
      "reliability.routing.enabled=false",
      "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
class KeyErrorsOverHttpTest {

  /** Scopes by a header, so a test can send a scope the core refuses. */
  @TestConfiguration
  static class LongScopes {
    @Bean
    IdempotencyScopeResolver longScopes() {
      return request -> {
        String n = request.getHeader("X-Scope-Length");
        return n == null ? "tenant-a" : "s".repeat(Integer.parseInt(n));
      };
    }
  }

  @LocalServerPort int port;
  @Autowired IdempotentTestApp.OrdersController controller;

  final HttpClient http = HttpClient.newHttpClient();

  HttpResponse<String> post(String key, String scopeLength) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/orders"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"book\"}"));
    if (key != null) {
      b.header("Idempotency-Key", key);
    }
    if (scopeLength != null) {
      b.header("X-Scope-Length", scopeLength);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static void assertProblem(HttpResponse<String> r, IdempotencyProblem problem) {
    assertThat(r.statusCode()).isEqualTo(problem.status());
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(r.body())
        .contains("\"type\":\"" + problem.type() + "\"")
        .contains("\"title\":\"" + problem.title() + "\"")
        .contains("\"status\":" + problem.status());
  }

  @Test
  void aKeyAtTheLimitIsAccepted() throws Exception {
    int before = controller.executions.get();
    String key = UUID.randomUUID() + "-" + "k".repeat(1024 - 37);
    assertThat(key).hasSize(1024);
    assertThat(post(key, null).statusCode()).isEqualTo(201);
    assertThat(controller.executions.get()).isEqualTo(before + 1);
  }

  @ParameterizedTest
  @ValueSource(ints = {1025, 2048, 4096, 8192})
  void longerKeysGet400ProblemJson(int length) throws Exception {
    int before = controller.executions.get();
    HttpResponse<String> r = post("k".repeat(length), null);
    assertProblem(r, IdempotencyProblem.KEY_MALFORMED);
    assertThat(r.body()).contains(length + " characters, more than the allowed 1024");
    assertThat(controller.executions.get()).isEqualTo(before);
  }

  @Test
  void aKeyTheCoreRefusesGets400ProblemJsonWithoutTheKey() throws Exception {
    int before = controller.executions.get();
    String key = UUID.randomUUID().toString();
    HttpResponse<String> r = post(key, "1025");
    assertProblem(r, IdempotencyProblem.KEY_MALFORMED);
    assertThat(r.body()).contains("scope must be at most 1024").doesNotContain(key);
    assertThat(controller.executions.get()).isEqualTo(before);
    // At the limit the same scope is accepted.
    assertThat(post(key, "1024").statusCode()).isEqualTo(201);
  }

  @Test
  void missingMalformedAndRepeatedKeysHaveTheirTypes() throws Exception {
    assertProblem(post(null, null), IdempotencyProblem.KEY_MISSING);
    assertProblem(post("\"unterminated", null), IdempotencyProblem.KEY_MALFORMED);
    HttpResponse<String> twice =
        http.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/orders"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "a")
                .header("Idempotency-Key", "b")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertProblem(twice, IdempotencyProblem.KEY_MALFORMED);
  }

  @Test
  void reusedKeyHasItsType() throws Exception {
    String key = UUID.randomUUID().toString();
    assertThat(post(key, null).statusCode()).isEqualTo(201);
    HttpResponse<String> other =
        http.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/orders"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"other\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertProblem(other, IdempotencyProblem.KEY_REUSED);
  }
}
