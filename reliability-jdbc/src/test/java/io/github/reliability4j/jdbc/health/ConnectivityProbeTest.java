package io.github.reliability4j.jdbc.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.health.ComponentHealth;
import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthCheckerConfig;
import io.github.reliability4j.core.health.HealthJson;
import io.github.reliability4j.core.health.HealthReport;
import io.github.reliability4j.core.health.HealthResponse;
import io.github.reliability4j.core.health.HealthSnapshot;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.health.RedactionLevel;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The primary stops for real (embedded PostgreSQL, which the test kit does not let tests stop):
 * readiness must turn FAIL within the configured interval plus deadline.
 */
class ConnectivityProbeTest {
  private static final Duration INTERVAL = Duration.ofSeconds(1);
  private static final Duration DEADLINE = Duration.ofSeconds(2);
  // Polling bound: interval + deadline, plus slack for a loaded 2-core CI machine.
  private static final Duration SLACK = Duration.ofSeconds(10);

  @Test
  void stoppingThePrimaryTurnsReadinessFailWithinIntervalPlusDeadline() throws Exception {
    EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
    boolean stopped = false;
    String url = pg.getJdbcUrl("postgres", "postgres") + "&connectTimeout=1&loginTimeout=2";
    try (JdbcConnectivityProbe probe =
            JdbcConnectivityProbe.of(ConnectionFactory.ofDriver(url, new Properties()));
        HealthChecker checker =
            HealthChecker.builder()
                .name("connectivity-test")
                .config(
                    HealthCheckerConfig.custom()
                        .interval(INTERVAL)
                        .failingInterval(Duration.ofMillis(500))
                        .deadline(DEADLINE)
                        .jitter(0)
                        .recoveryThreshold(1)
                        .build())
                .probe(
                    ProbeRegistration.builder("primary-db", probe)
                        .componentType("datastore")
                        .measurement("responseTime")
                        .build())
                .probe(
                    ProbeRegistration.builder("process", ctx -> ProbeResult.pass())
                        .internal()
                        .kinds(ProbeKind.LIVENESS, ProbeKind.READINESS)
                        .build())
                .build()) {
      checker.start();
      HealthSnapshot up =
          Poll.until(
              SLACK,
              checker::snapshot,
              s -> s.report(ProbeKind.READINESS).status() == HealthStatus.PASS);
      ComponentHealth db = up.component("primary-db");
      assertThat(db.result().observedUnit()).isEqualTo("ms");
      assertThat(db.result().details()).containsEntry("reconnected", true);
      Poll.until(
          SLACK,
          () -> checker.snapshot().component("primary-db").result().details().get("reconnected"),
          Boolean.FALSE::equals);

      pg.close();
      stopped = true;
      HealthSnapshot down =
          Poll.until(
              INTERVAL.plus(DEADLINE).plus(SLACK),
              checker::snapshot,
              s -> s.report(ProbeKind.READINESS).status() == HealthStatus.FAIL);
      HealthReport readiness = down.report(ProbeKind.READINESS);
      assertThat(readiness.components())
          .filteredOn(c -> c.name().equals("primary-db"))
          .singleElement()
          .satisfies(c -> assertThat(c.status()).isEqualTo(HealthStatus.FAIL));
      assertThat(down.report(ProbeKind.LIVENESS).status())
          .as("a database outage never fails liveness")
          .isEqualTo(HealthStatus.PASS);

      HealthResponse full = HealthJson.ofDefaults().respond(readiness, RedactionLevel.FULL);
      assertThat(full.statusCode()).isEqualTo(503);
      assertThat(full.body())
          .contains("\"primary-db:responseTime\"")
          .contains("\"status\":\"fail\"");
      assertThat(full.body()).contains("SQLException");
      HealthResponse redacted =
          HealthJson.ofDefaults().respond(readiness, RedactionLevel.COMPONENTS);
      assertThat(redacted.body())
          .doesNotContain("SQLException")
          .contains("\"output\":\"probe threw an exception\"");
      assertThat(
              HealthJson.ofDefaults()
                  .respond(down.report(ProbeKind.LIVENESS), RedactionLevel.STATUS_ONLY))
          .satisfies(
              r -> {
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("{\"status\":\"pass\"}");
              });
    } finally {
      if (!stopped) {
        pg.close();
      }
    }
  }
}
