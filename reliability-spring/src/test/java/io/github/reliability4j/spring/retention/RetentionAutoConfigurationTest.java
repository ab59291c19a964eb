package io.github.reliability4j.spring.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
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

/**
 * Retention from properties in a real Spring Boot application with a real HTTP server: the enabled
 * policy runs on the schedule, the other one only dry-runs through the Actuator endpoint, meters
 * count the rows, and the backlog probe warns for the policy left behind.
 */
@SpringBootTest(
    classes = RetentionAutoConfigurationTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=" + RetentionAutoConfigurationTest.URL,
      "spring.datasource.username=sa",
      "reliability.idempotency.enabled=false",
      "reliability.retention.interval=200ms",
      "reliability.retention.policies[0].name=orders",
      "reliability.retention.policies[0].enabled=true",
      "reliability.retention.policies[0].table=orders",
      "reliability.retention.policies[0].age-column=created_at",
      "reliability.retention.policies[0].max-age=7d",
      "reliability.retention.policies[0].extra-condition=status = 'DONE'",
      "reliability.retention.policies[0].action=archive-then-delete",
      "reliability.retention.policies[0].archive-table=orders_archive",
      "reliability.retention.policies[0].pause-between-batches=0ms",
      "reliability.retention.policies[0].initial-batch-size=100",
      "reliability.retention.policies[1].name=audit",
      "reliability.retention.policies[1].table=audit",
      "reliability.retention.policies[1].age-column=created_at",
      "reliability.retention.policies[1].max-age=1d",
      "management.endpoints.web.exposure.include=health,retention"
    })
class RetentionAutoConfigurationTest {

  static final String URL = "jdbc:h2:mem:retention_spring;DB_CLOSE_DELAY=-1";

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    SecurityFilterChain chain(HttpSecurity http) throws Exception {
      http.csrf(c -> c.disable()).authorizeHttpRequests(a -> a.anyRequest().permitAll());
      return http.build();
    }
  }

  @BeforeAll
  static void tables() throws Exception {
    try (Connection c = DriverManager.getConnection(URL, "sa", "");
        Statement st = c.createStatement()) {
      for (String t : new String[] {"orders", "orders_archive", "audit"}) {
        st.execute(
            "CREATE TABLE "
                + t
                + " (id BIGINT PRIMARY KEY, created_at TIMESTAMP NOT NULL, status VARCHAR(10))");
      }
      st.execute("CREATE INDEX orders_age ON orders (created_at)");
      st.execute("CREATE INDEX audit_age ON audit (created_at)");
      st.execute(
          "INSERT INTO orders SELECT x, DATEADD('DAY', -30, CURRENT_TIMESTAMP),"
              + " CASE WHEN MOD(x, 10) = 0 THEN 'OPEN' ELSE 'DONE' END"
              + " FROM SYSTEM_RANGE(1, 1000)");
      st.execute(
          "INSERT INTO audit SELECT x, DATEADD('DAY', -3, CURRENT_TIMESTAMP), 'X'"
              + " FROM SYSTEM_RANGE(1, 250)");
    }
  }

  @LocalServerPort int port;
  @Autowired MeterRegistry meters;
  @Autowired RetentionPolicies policies;
  @Autowired HealthChecker checker;
  @Autowired ProbeRegistration[] probes;
  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void theEnabledPolicyRunsTheOtherOnlyDryRunsAndTheEndpointShowsBoth() throws Exception {
    poll(() -> count("orders_archive") == 900);
    assertThat(count("orders")).isEqualTo(100);
    assertThat(count("audit")).as("not enabled: never deleted").isEqualTo(250);
    assertThat(policies.getScheduled()).containsExactly("orders");

    poll(
        () ->
            meters.find("reliability.retention.rows").tag("action", "archived").counter() != null
                && meters
                        .find("reliability.retention.rows")
                        .tag("policy", "orders")
                        .tag("action", "archived")
                        .counter()
                        .count()
                    == 900);
    assertThat(meters.find("reliability.retention.batches").tag("policy", "orders").counter())
        .isNotNull();
    assertThat(meters.find("reliability.retention.last.run").tag("policy", "orders").gauge())
        .isNotNull();

    HttpResponse<String> list = get("/actuator/retention");
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body())
        .contains("\"orders\":{\"table\":\"orders\"")
        .contains("\"action\":\"ARCHIVE_THEN_DELETE\"")
        .contains("\"scheduled\":true")
        .contains("\"outcome\":\"COMPLETED\"")
        .contains("\"audit\":{\"table\":\"audit\"")
        .contains("\"scheduled\":false");

    HttpResponse<String> plan = get("/actuator/retention/audit");
    assertThat(plan.statusCode()).isEqualTo(200);
    assertThat(plan.body())
        .contains("\"dryRun\":true")
        .contains("\"eligibleRows\":250")
        .contains("\"estimatedBatches\":1");
    assertThat(count("audit")).as("a dry run changes nothing").isEqualTo(250);
    assertThat(get("/actuator/retention/nope").statusCode()).isEqualTo(404);

    ProbeRegistration backlog = null;
    for (ProbeRegistration r : probes) {
      if (r.name().equals("retention-backlog")) {
        backlog = r;
      }
    }
    assertThat(backlog).isNotNull();
    assertThat(checker.registrations())
        .extracting(ProbeRegistration::name)
        .contains("retention-backlog");
    ProbeResult result =
        backlog
            .probe()
            .check(new ProbeContext("retention-backlog", Instant.now(), Duration.ofSeconds(5)));
    assertThat(result.status()).isEqualTo(HealthStatus.WARN);
    assertThat(result.output()).startsWith("retention of audit is behind");
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static long count(String table) {
    try (Connection c = DriverManager.getConnection(URL, "sa", "");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void poll(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 60 s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
