package io.github.reliability4j.spring.idempotency;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Real HTTP against a store that throws or hangs: the filter goes through the engine, so the outage
 * policy and the per-call store timeout apply. The hanging case is bounded by {@code
 * reliability.idempotency.store-call-timeout} (the test only checks the answer, not the time).
 */
abstract class AbstractStoreOutageTest {

  @Configuration(proxyBeanMethods = false)
  static class OutageStoreConfig {
    @Bean
    OutageStore reliabilityIdempotencyStore() {
      return new OutageStore();
    }
  }

  @LocalServerPort int port;
  @Autowired IdempotentTestApp.OrdersController controller;
  @Autowired OutageStore store;

  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void reset() {
    controller.executions.set(0);
    store.heal();
  }

  @AfterEach
  void heal() {
    store.heal();
  }

  HttpResponse<String> post(String key) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/orders"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"book\"}"))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  static String key() {
    return java.util.UUID.randomUUID().toString();
  }
}
