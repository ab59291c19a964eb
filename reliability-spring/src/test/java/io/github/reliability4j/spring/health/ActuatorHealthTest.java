package io.github.reliability4j.spring.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Actuator readiness/liveness backed by the probes, on a real PostgreSQL that the test stops. Uses
 * its own embedded PostgreSQL (not the shared test-kit cluster) because it kills the primary.
 */
@SpringBootTest(
    classes = ActuatorHealthTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.health.interval=200ms",
      "reliability.health.failing-interval=100ms",
      "reliability.health.deadline=1s",
      "reliability.health.endpoint.show-details=always",
      "reliability.idempotency.jdbc.initialize-schema=true",
      "management.endpoints.web.exposure.include=health,healthcheck,metrics",
      "management.endpoint.health.show-details=always",
      "management.endpoint.health.show-components=always",
      "spring.datasource.username=postgres",
      "spring.datasource.hikari.connection-timeout=1000",
      "spring.datasource.hikari.initialization-fail-timeout=-1"
    })
class ActuatorHealthTest {

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    SecurityFilterChain chain(HttpSecurity http) throws Exception {
      http.csrf(c -> c.disable()).authorizeHttpRequests(a -> a.anyRequest().permitAll());
      return http.build();
    }
  }

  static EmbeddedPostgres postgres;

  @BeforeAll
  static void startDatabase() throws Exception {
    postgres = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stopDatabase() throws Exception {
    postgres.close();
  }

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry registry) {
    registry.add("spring.datasource.url", () -> postgres.getJdbcUrl("postgres", "postgres"));
  }

  @LocalServerPort int port;
  @Autowired MeterRegistry meters;
  final HttpClient http = HttpClient.newHttpClient();

  HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> await(String path, Predicate<HttpResponse<String>> condition)
      throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    HttpResponse<String> r = get(path);
    while (!condition.test(r) && Instant.now().isBefore(deadline)) {
      Thread.sleep(50);
      r = get(path);
    }
    return r;
  }

  @Test
  void probesDriveActuatorGroupsHealthJsonAndMetricsAndReadinessFailsWhenThePrimaryStops()
      throws Exception {
    HttpResponse<String> ready = await("/actuator/health/readiness", r -> r.statusCode() == 200);
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("reliabilityReadiness");
    assertThat(get("/actuator/health/liveness").body()).contains("reliabilityLiveness");
    assertThat(get("/actuator/health/startup").body()).contains("reliabilityStartup");
    HttpResponse<String> component = get("/actuator/health/reliability/db");
    assertThat(component.statusCode()).isEqualTo(200);
    assertThat(component.body()).contains("\"status\":\"UP\"").contains("observedValue");

    HttpResponse<String> json = get("/actuator/healthcheck/readiness");
    assertThat(json.statusCode()).isEqualTo(200);
    assertThat(json.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("application/health+json");
    assertThat(json.body()).contains("\"status\":\"pass\"").contains("db:responseTime");
    // The default cache-max-age (1 s), not Spring Security's default no-cache header.
    assertThat(json.headers().allValues("Cache-Control"))
        .containsExactly("max-age=1, must-revalidate");
    assertThat(get("/actuator/healthcheck/nonsense").statusCode()).isEqualTo(404);

    assertThat(meters.get("reliability.health.probe.status").tag("probe", "db").gauge().value())
        .isEqualTo(0.0);
    assertThat(meters.get("reliability.health.status").tag("kind", "readiness").gauge().value())
        .isEqualTo(0.0);
    // a timer since issue 20: one sample per evaluation of the probe
    assertThat(meters.get("reliability.health.probe.duration").tag("probe", "db").timer().count())
        .isPositive();

    postgres.close();

    HttpResponse<String> notReady = await("/actuator/health/readiness", r -> r.statusCode() == 503);
    assertThat(notReady.statusCode()).isEqualTo(503);
    assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);
    HttpResponse<String> failJson = get("/actuator/healthcheck/readiness");
    assertThat(failJson.statusCode()).isEqualTo(503);
    assertThat(failJson.body()).contains("\"status\":\"fail\"");
    assertThat(failJson.headers().allValues("Cache-Control")).containsExactly("no-store");
    assertThat(meters.get("reliability.health.probe.status").tag("probe", "db").gauge().value())
        .isEqualTo(3.0);
  }
}
