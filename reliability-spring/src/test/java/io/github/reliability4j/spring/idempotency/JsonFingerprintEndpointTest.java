package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Canonical-JSON fingerprints (the default) over real HTTP. */
@SpringBootTest(
    classes = IdempotentTestApp.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.idempotency.max-body-size=2KB",
      "reliability.routing.enabled=false",
      "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
class JsonFingerprintEndpointTest {

  @LocalServerPort int port;
  @Autowired IdempotentTestApp.OrdersController controller;

  @BeforeEach
  void reset() {
    controller.executions.set(0);
  }

  static HttpResponse<String> post(int port, String type, String key, String body)
      throws Exception {
    return post(port, "/orders", type, key, body);
  }

  static HttpResponse<String> post(int port, String path, String type, String key, String body)
      throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Content-Type", type)
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void reserializedJsonWithOtherWhitespaceAndKeyOrderReplays() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> first =
        post(port, "application/json", key, "{\"item\":\"book\",\"qty\":2}");
    HttpResponse<String> retry =
        post(
            port,
            "application/json;charset=UTF-8",
            key,
            "{\n  \"qty\" : 2,\n  \"item\" : \"book\"\n}");
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(retry.statusCode()).isEqualTo(201);
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(retry.body()).isEqualTo(first.body());
    assertThat(controller.executions).hasValue(1);
  }

  @Test
  void aDifferentValueOrNumberLexemeIsStillAMismatch() throws Exception {
    String key = UUID.randomUUID().toString();
    assertThat(post(port, "application/json", key, "{\"item\":\"book\",\"qty\":2}").statusCode())
        .isEqualTo(201);
    assertThat(post(port, "application/json", key, "{\"item\":\"book\",\"qty\":2.0}").statusCode())
        .isEqualTo(422);
    assertThat(post(port, "application/json", key, "{\"item\":\"Book\",\"qty\":2}").statusCode())
        .isEqualTo(422);
    assertThat(post(port, "application/json", key, "[{\"item\":\"book\",\"qty\":2}]").statusCode())
        .isEqualTo(422);
  }
}
