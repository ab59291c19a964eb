package io.github.reliability4j.spring.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A real context close with a real HTTP server: readiness turns 503 first and stays so for the
 * drain delay while the server still serves, and a request in flight when shutdown began completes.
 */
class DrainOnShutdownTest {

  static final CountDownLatch entered = new CountDownLatch(1);
  static final CountDownLatch release = new CountDownLatch(1);

  @SpringBootConfiguration
  @EnableAutoConfiguration(
      excludeName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
  static class App {
    @Bean
    SecurityFilterChain chain(HttpSecurity http) throws Exception {
      return new ActuatorHealthTest.App().chain(http);
    }

    @Bean
    Slow slow() {
      return new Slow();
    }
  }

  @RestController
  static class Slow {
    @GetMapping("/slow")
    String slow() throws InterruptedException {
      entered.countDown();
      release.await(60, TimeUnit.SECONDS);
      return "done";
    }
  }

  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void closingTheContextDrainsReadinessFirstAndLetsInFlightWorkFinish() throws Exception {
    ConfigurableApplicationContext ctx =
        new SpringApplication(App.class)
            .run(
                "--server.port=0",
                "--server.shutdown=graceful",
                "--reliability.health.interval=200ms",
                "--reliability.health.failing-interval=100ms",
                "--reliability.health.drain-delay=3s",
                "--reliability.idempotency.enabled=false",
                "--management.endpoints.web.exposure.include=health,healthcheck",
                "--management.endpoint.health.probes.enabled=true");
    int port = ((WebServerApplicationContext) ctx).getWebServer().getPort();
    URI base = URI.create("http://localhost:" + port);
    assertThat(await(base, "/actuator/health/readiness", 200).statusCode()).isEqualTo(200);

    CompletableFuture<HttpResponse<String>> inFlight =
        http.sendAsync(
            HttpRequest.newBuilder(base.resolve("/slow")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Void> closing = CompletableFuture.runAsync(ctx::close);
    HttpResponse<String> draining = await(base, "/actuator/health/readiness", 503);
    assertThat(draining.statusCode()).isEqualTo(503);
    assertThat(get(base, "/actuator/healthcheck/readiness").statusCode()).isEqualTo(503);
    assertThat(closing).as("the drain delay holds the close").isNotDone();
    assertThat(inFlight).isNotDone();

    release.countDown();
    HttpResponse<String> done = inFlight.get(30, TimeUnit.SECONDS);
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body()).isEqualTo("done");
    closing.get(60, TimeUnit.SECONDS);
    assertThat(ctx.isActive()).isFalse();
  }

  HttpResponse<String> get(URI base, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> await(URI base, String path, int status) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    HttpResponse<String> r = get(base, path);
    while (r.statusCode() != status) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(path + " never answered " + status + "; last: " + r.body());
      }
      Thread.sleep(20);
      r = get(base, path);
    }
    return r;
  }
}
