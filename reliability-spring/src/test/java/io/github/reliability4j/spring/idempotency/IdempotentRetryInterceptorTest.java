package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.retry.Retry;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/** The outbound interceptor against a real server that fails twice before succeeding. */
@SpringBootTest(
    classes = IdempotentTestApp.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.idempotency.max-body-size=2KB",
      "reliability.routing.enabled=false",
      "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
class IdempotentRetryInterceptorTest {

  @LocalServerPort int port;
  @Autowired IdempotentTestApp.OrdersController controller;

  @Test
  void retriesFiveHundredsWithOneKeyPerLogicalCall() {
    RestClient client =
        RestClient.builder()
            .baseUrl("http://localhost:" + port)
            .requestInterceptor(IdempotentRetryInterceptor.of(3, Duration.ofMillis(5)))
            .build();

    String first = client.post().uri("/flaky/a").retrieve().body(String.class);
    String second = client.post().uri("/flaky/b").retrieve().body(String.class);

    assertThat(first).isEqualTo("done 3");
    assertThat(second).isEqualTo("done 3");
    List<String> a = controller.flakyAttempts.get("a");
    List<String> b = controller.flakyAttempts.get("b");
    assertThat(a).hasSize(3).allMatch(k -> k.equals(a.get(0))).allMatch(k -> k.startsWith("\""));
    assertThat(b).hasSize(3).allMatch(k -> k.equals(b.get(0)));
    assertThat(a.get(0)).isNotEqualTo(b.get(0));
  }

  @Test
  void givesUpAfterMaxAttemptsAndReturnsTheLastResponse() {
    RestClient client =
        RestClient.builder()
            .baseUrl("http://localhost:" + port)
            .requestInterceptor(IdempotentRetryInterceptor.of(2, Duration.ZERO))
            .defaultStatusHandler(s -> true, (req, res) -> {})
            .build();
    int status =
        client.post().uri("/flaky/c").retrieve().toBodilessEntity().getStatusCode().value();
    assertThat(status).isEqualTo(503);
    assertThat(controller.flakyAttempts.get("c")).hasSize(2);
  }

  @Test
  void retriesConnectionErrors() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Retry retry =
        Retry.of("test", IdempotentRetryInterceptor.retryConfig(3, Duration.ofMillis(1)).build());
    RestClient client =
        RestClient.builder()
            .baseUrl("http://localhost:" + closedPort)
            .requestInterceptor(IdempotentRetryInterceptor.of(retry))
            .build();
    assertThatThrownBy(() -> client.post().uri("/x").retrieve().toBodilessEntity())
        .isInstanceOf(ResourceAccessException.class);
    assertThat(retry.getMetrics().getNumberOfFailedCallsWithRetryAttempt()).isEqualTo(1);
  }

  @Test
  void getRequestsPassThroughWithoutKey() {
    RestClient client =
        RestClient.builder()
            .baseUrl("http://localhost:" + port)
            .requestInterceptor(IdempotentRetryInterceptor.ofDefaults())
            .defaultStatusHandler(s -> true, (req, res) -> {})
            .build();
    int status = client.get().uri("/flaky/d").retrieve().toBodilessEntity().getStatusCode().value();
    assertThat(status).isEqualTo(405);
    assertThat(controller.flakyAttempts).doesNotContainKey("d");
  }
}
