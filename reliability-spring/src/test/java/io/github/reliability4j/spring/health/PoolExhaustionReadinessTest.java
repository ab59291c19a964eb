package io.github.reliability4j.spring.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeWeight;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter's own pool probe over a real HTTP server and a real HikariCP pool on PostgreSQL: a
 * busy pool warns (200), an instance whose requests keep waiting or time out for a connection is
 * unready (503) while liveness and the database's connectivity probe pass.
 */
@SpringBootTest(
    classes = ActuatorHealthTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.health.interval=200ms",
      "reliability.health.failing-interval=100ms",
      "reliability.health.deadline=1s",
      "reliability.health.pool.fail-waiting-for=300ms",
      "reliability.health.pool.acquire-timeout-window=2s",
      "reliability.health.endpoint.show-details=always",
      "management.endpoints.web.exposure.include=health,healthcheck,metrics",
      "management.endpoint.health.show-details=always",
      "management.health.db.enabled=false",
      "reliability.idempotency.jdbc.initialize-schema=true",
      "spring.datasource.username=postgres",
      "spring.datasource.hikari.pool-name=exhaust",
      "spring.datasource.hikari.maximum-pool-size=2",
      "spring.datasource.hikari.minimum-idle=2",
      "spring.datasource.hikari.connection-timeout=4000"
    })
class PoolExhaustionReadinessTest {

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
  @Autowired HikariDataSource pool;
  @Autowired HealthChecker checker;
  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void theStartersPoolProbeIsCriticalAndAnExhaustedPoolAnswers503() throws Exception {
    ProbeRegistration registration =
        checker.registrations().stream()
            .filter(r -> r.name().equals("db-pool"))
            .findFirst()
            .orElseThrow();
    assertThat(registration.weight()).isEqualTo(ProbeWeight.CRITICAL);
    HttpResponse<String> ready = await(READY, r -> r.statusCode() == 200 && passing(r));
    assertThat(ready.body()).contains("\"db-pool:utilization\"");

    List<Connection> held = new ArrayList<>();
    CompletableFuture<Connection> waiter = null;
    try {
      held.add(pool.getConnection());
      held.add(pool.getConnection());
      // momentary saturation: every connection in use, nobody waiting -> warn, still 200
      HttpResponse<String> busy =
          await(READY, r -> r.body().contains("pool saturated: 2 of 2 connections in use"));
      assertThat(busy.statusCode()).isEqualTo(200);
      assertThat(busy.body()).contains("\"status\":\"warn\"");

      // a request keeps waiting for a connection -> fail, 503 on both readiness endpoints
      waiter = CompletableFuture.supplyAsync(this::borrow);
      HttpResponse<String> waiting =
          await(READY, r -> r.body().contains("threads waiting for a connection for"));
      assertThat(waiting.statusCode()).isEqualTo(503);
      assertThat(waiting.body()).contains("\"status\":\"fail\"");
      assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(503);
      assertThat(get("/actuator/healthcheck/liveness").statusCode()).isEqualTo(200);
      assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);
      assertThat(get("/actuator/health/reliability/db").body())
          .as("the database itself is reachable: its probe has its own connection")
          .contains("\"status\":\"UP\"");

      // the request times out -> still fail (timeouts in the window) though nobody waits now
      CompletableFuture<Connection> timedOut = waiter;
      assertThatThrownBy(() -> timedOut.get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasRootCauseInstanceOf(SQLTransientConnectionException.class);
      waiter = null;
      HttpResponse<String> afterTimeout =
          await(
              READY,
              r ->
                  r.body().contains("connection requests timed out in the last")
                      && r.body().contains("waiting=0"));
      assertThat(afterTimeout.statusCode()).isEqualTo(503);
    } finally {
      for (Connection c : held) {
        c.close();
      }
      if (waiter != null) {
        waiter.get(30, TimeUnit.SECONDS).close();
      }
    }
    // released, and the window passed: ready again
    HttpResponse<String> recovered = await(READY, r -> r.statusCode() == 200 && passing(r));
    assertThat(recovered.statusCode()).isEqualTo(200);
    assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
  }

  private static final String READY = "/actuator/healthcheck/readiness";

  private static boolean passing(HttpResponse<String> r) {
    return r.body().startsWith("{\"status\":\"pass\"");
  }

  private Connection borrow() {
    try {
      return pool.getConnection();
    } catch (java.sql.SQLException e) {
      throw new java.util.concurrent.CompletionException(e);
    }
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> await(String path, Predicate<HttpResponse<String>> condition)
      throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    HttpResponse<String> r = get(path);
    while (!condition.test(r)) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("no response to " + path + " matched; last: " + r.body());
      }
      Thread.sleep(20);
      r = get(path);
    }
    return r;
  }
}
