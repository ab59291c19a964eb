package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A request Spring MVC rejects before the handler runs (malformed JSON, a rejected
 * {@code @Validated} body, a parameter that does not convert) is not stored and does not burn the
 * key: the corrected request with the same key executes. See {@link RequestValidation}.
 */
@SpringBootTest(
    classes = IdempotentTestApp.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.idempotency.max-body-size=2KB",
      "reliability.routing.enabled=false",
      "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
class RequestValidationNotStoredTest {

  @LocalServerPort int port;
  @Autowired IdempotentTestApp.OrdersController controller;

  @BeforeEach
  void reset() {
    controller.executions.set(0);
  }

  HttpResponse<String> post(String path, String key, String body) throws Exception {
    return JsonFingerprintEndpointTest.post(port, path, "application/json", key, body);
  }

  @Test
  void malformedJsonIsNotStoredAndTheFixedRequestExecutesWithTheSameKey() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> bad = post("/orders", key, "{\"item\": \"book\"");
    assertThat(bad.statusCode()).isEqualTo(400);
    HttpResponse<String> badAgain = post("/orders", key, "{\"item\": \"book\"");
    assertThat(badAgain.statusCode()).isEqualTo(400);
    assertThat(badAgain.headers().firstValue("Idempotent-Replayed")).isEmpty();

    HttpResponse<String> fixed = post("/orders", key, "{\"item\":\"book\"}");
    assertThat(fixed.statusCode()).isEqualTo(201);
    assertThat(fixed.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(controller.executions).hasValue(1);
    assertThat(
            post("/orders", key, "{\"item\":\"book\"}").headers().firstValue("Idempotent-Replayed"))
        .contains("true");
  }

  @Test
  void rejectedValidatedBodyIsNotStored() throws Exception {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> invalid =
        post("/validated-payments", key, "{\"item\":\"pen\",\"amount\":-1}");
    assertThat(invalid.statusCode()).isEqualTo(400);
    assertThat(controller.executions).hasValue(0);

    HttpResponse<String> valid =
        post("/validated-payments", key, "{\"item\":\"pen\",\"amount\":3}");
    assertThat(valid.statusCode()).isEqualTo(200);
    assertThat(valid.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(valid.body()).contains("\"execution\":1");
    HttpResponse<String> replay =
        post("/validated-payments", key, "{\"item\":\"pen\",\"amount\":3}");
    assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(replay.body()).isEqualTo(valid.body());
  }

  @Test
  void parameterThatDoesNotConvertIsNotStored() throws Exception {
    String key = UUID.randomUUID().toString();
    assertThat(post("/accounts/a1/charges?amount=abc", key, "").statusCode()).isEqualTo(400);
    HttpResponse<String> ok = post("/accounts/a1/charges?amount=5", key, "");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(controller.executions).hasValue(1);
  }

  @Test
  void aClientErrorTheHandlerProducedIsStillStored() throws Exception {
    String key = UUID.randomUUID().toString();
    assertThat(post("/not-found", key, "{}").statusCode()).isEqualTo(404);
    HttpResponse<String> replay = post("/not-found", key, "{}");
    assertThat(replay.statusCode()).isEqualTo(404);
    assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(controller.executions).hasValue(1);
  }
}
