package io.github.reliability4j.spring.observation;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.spring.idempotency.Idempotent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A real Prometheus scrape of a Spring Boot application (issue 20 item 3): our meters appear with a
 * HELP line (their description), a unit, one tag name per concept ({@code method} and {@code uri}
 * as in Spring's {@code http_server_requests}), the probe duration as a timer, and the
 * observations' timers.
 */
@SpringBootTest(
    classes = PrometheusScrapeTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.idempotency.store=memory",
      "management.endpoints.web.exposure.include=prometheus,health",
      "reliability.health.interval=100ms"
    })
class PrometheusScrapeTest {

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    SecurityFilterChain securityFilterChain(HttpSecurity http) throws Exception {
      http.csrf(c -> c.disable())
          .authorizeHttpRequests(a -> a.anyRequest().permitAll())
          .httpBasic(Customizer.withDefaults());
      return http.build();
    }

    @Bean
    Orders orders() {
      return new Orders();
    }
  }

  @RestController
  static class Orders {
    @PostMapping("/orders")
    @Idempotent
    ResponseEntity<String> create(@RequestBody String order) {
      return ResponseEntity.status(201).body("created");
    }
  }

  @LocalServerPort int port;

  final HttpClient http = HttpClient.newHttpClient();

  String scrape() throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @Test
  void ourMetersAreScrapedWithDescriptionsUnitsAndSpringsTagNames() throws Exception {
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders"))
                  .header("Content-Type", "text/plain")
                  .header("Idempotency-Key", "\"scrape-1\"")
                  .POST(HttpRequest.BodyPublishers.ofString("2 books"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(201);
    }

    // the probes run in the background: poll the scrape until a probe evaluation is recorded
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    String body = scrape();
    while (!body.contains("reliability_health_probe_duration_seconds_count")
        && Instant.now().isBefore(deadline)) {
      Thread.sleep(100);
      body = scrape();
    }
    List<String> lines = Arrays.asList(body.split("\n"));

    assertThat(lines)
        .anyMatch(
            l ->
                l.startsWith("reliability_idempotency_requests_total{")
                    && l.contains("method=\"POST\"")
                    && l.contains("uri=\"/orders\"")
                    && l.contains("result=\"replayed\""))
        .anyMatch(l -> l.startsWith("# HELP reliability_idempotency_requests_total Idempotent"))
        .anyMatch(l -> l.startsWith("# HELP reliability_health_probe_status Probe status"))
        .anyMatch(l -> l.startsWith("# TYPE reliability_health_probe_duration_seconds summary"))
        .anyMatch(l -> l.startsWith("# HELP reliability_idempotency_store_seconds Idempotency"))
        .anyMatch(
            l ->
                l.startsWith("reliability_idempotency_store_seconds_count{")
                    && l.contains("db_operation_name=\"claim\"")
                    && l.contains("reliability_idempotency_outcome=\"replay\""))
        .noneMatch(l -> l.contains("scrape-1"));
    // every reliability meter family has a description
    assertThat(lines)
        .filteredOn(l -> l.startsWith("# HELP reliability_"))
        .allSatisfy(l -> assertThat(l.split(" ", 4)).hasSize(4));
  }
}
