package io.github.reliability4j.spring.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

/**
 * {@code Cache-Control} of {@code /actuator/healthcheck[/{kind}]} over real HTTP: a passing answer
 * may be cached for {@code reliability.health.endpoint.cache-max-age} and never served stale, a
 * failing one is never stored, and zero turns caching off. Spring Security is on the class path, as
 * in most applications: its default {@code Cache-Control} must not replace ours.
 */
class HealthJsonEndpointCacheControlTest {

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    SecurityFilterChain chain(HttpSecurity http) throws Exception {
      http.csrf(c -> c.disable()).authorizeHttpRequests(a -> a.anyRequest().permitAll());
      return http.build();
    }

    @Bean
    AtomicReference<HealthStatus> switchStatus() {
      return new AtomicReference<>(HealthStatus.PASS);
    }

    @Bean
    ProbeRegistration switchProbe(AtomicReference<HealthStatus> switchStatus) {
      return ProbeRegistration.builder(
              "switch", ctx -> ProbeResult.builder(switchStatus.get()).build())
          .kinds(ProbeKind.LIVENESS, ProbeKind.READINESS, ProbeKind.DEEP)
          .internal()
          .build();
    }
  }

  static final String COMMON_1 = "reliability.health.recovery-threshold=1";
  static final String COMMON_2 = "reliability.routing.enabled=false";
  static final String COMMON_3 =
      "spring.autoconfigure.exclude="
          + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration";
  static final String COMMON_4 = "management.endpoints.web.exposure.include=healthcheck";

  abstract static class Server {
    @LocalServerPort int port;
    @Autowired HealthChecker checker;
    @Autowired AtomicReference<HealthStatus> switchStatus;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void passing() throws Exception {
      set(HealthStatus.PASS);
    }

    /** Sets the probe's answer and waits until the checker has evaluated it. */
    void set(HealthStatus status) throws Exception {
      switchStatus.set(status);
      checker.evaluateNow().get(30, TimeUnit.SECONDS);
      assertThat(checker.snapshot().component("switch").status()).isEqualTo(status);
    }

    HttpResponse<String> get(String path) throws Exception {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
          HttpResponse.BodyHandlers.ofString());
    }

    static String cacheControl(HttpResponse<String> response) {
      assertThat(response.headers().allValues("Cache-Control")).hasSize(1);
      return response.headers().firstValue("Cache-Control").orElseThrow();
    }
  }

  @Nested
  @SpringBootTest(
      classes = App.class,
      webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
      properties = {
        "reliability.health.endpoint.cache-max-age=7s",
        COMMON_1,
        COMMON_2,
        COMMON_3,
        COMMON_4
      })
  class WithSevenSecondMaxAge extends Server {

    @Test
    void passingAnswersCarryTheConfiguredMaxAgeAndFailingAnswersNoStore() throws Exception {
      for (String path :
          new String[] {
            "/actuator/healthcheck",
            "/actuator/healthcheck/readiness",
            "/actuator/healthcheck/liveness",
            "/actuator/healthcheck/deep"
          }) {
        HttpResponse<String> pass = get(path);
        assertThat(pass.statusCode()).as(path).isEqualTo(200);
        assertThat(pass.body()).as(path).contains("\"status\":\"pass\"");
        assertThat(cacheControl(pass)).as(path).isEqualTo("max-age=7, must-revalidate");
      }

      set(HealthStatus.WARN);
      HttpResponse<String> warn = get("/actuator/healthcheck/readiness");
      assertThat(warn.statusCode()).isEqualTo(200);
      assertThat(warn.body()).contains("\"status\":\"warn\"");
      assertThat(cacheControl(warn)).isEqualTo("max-age=7, must-revalidate");

      set(HealthStatus.FAIL);
      for (String path :
          new String[] {
            "/actuator/healthcheck",
            "/actuator/healthcheck/readiness",
            "/actuator/healthcheck/liveness"
          }) {
        HttpResponse<String> fail = get(path);
        assertThat(fail.statusCode()).as(path).isEqualTo(503);
        assertThat(fail.body()).as(path).contains("\"status\":\"fail\"");
        assertThat(cacheControl(fail)).as(path).isEqualTo("no-store");
      }

      set(HealthStatus.PASS);
      assertThat(cacheControl(get("/actuator/healthcheck/readiness")))
          .isEqualTo("max-age=7, must-revalidate");
    }

    @Test
    void anUnknownKindIsNotCachedEither() throws Exception {
      HttpResponse<String> unknown = get("/actuator/healthcheck/nonsense");
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(cacheControl(unknown)).isEqualTo("no-store");
    }
  }

  @Nested
  @SpringBootTest(
      classes = App.class,
      webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
      properties = {
        "reliability.health.endpoint.cache-max-age=0",
        COMMON_1,
        COMMON_2,
        COMMON_3,
        COMMON_4
      })
  class WithZeroMaxAge extends Server {

    @Test
    void nothingIsCached() throws Exception {
      HttpResponse<String> pass = get("/actuator/healthcheck/readiness");
      assertThat(pass.statusCode()).isEqualTo(200);
      assertThat(cacheControl(pass)).isEqualTo("no-store");

      set(HealthStatus.FAIL);
      HttpResponse<String> fail = get("/actuator/healthcheck/readiness");
      assertThat(fail.statusCode()).isEqualTo(503);
      assertThat(cacheControl(fail)).isEqualTo("no-store");
    }
  }
}
