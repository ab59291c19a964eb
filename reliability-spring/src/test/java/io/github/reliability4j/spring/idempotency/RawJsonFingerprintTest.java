package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** {@code reliability.idempotency.json-fingerprint=raw}: JSON bodies count byte for byte. */
@SpringBootTest(
    classes = IdempotentTestApp.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.idempotency.json-fingerprint=raw",
      "reliability.routing.enabled=false",
      "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
class RawJsonFingerprintTest {

  @LocalServerPort int port;

  @Test
  void reorderedJsonIsAMismatch() throws Exception {
    String key = UUID.randomUUID().toString();
    assertThat(
            JsonFingerprintEndpointTest.post(
                    port, "application/json", key, "{\"item\":\"book\",\"qty\":2}")
                .statusCode())
        .isEqualTo(201);
    assertThat(
            JsonFingerprintEndpointTest.post(
                    port, "application/json", key, "{\"qty\":2,\"item\":\"book\"}")
                .statusCode())
        .isEqualTo(422);
    assertThat(
            JsonFingerprintEndpointTest.post(
                    port, "application/json", key, "{\"item\":\"book\",\"qty\":2}")
                .headers()
                .firstValue("Idempotent-Replayed"))
        .contains("true");
  }
}
