package io.github.reliability4j.spring.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.spring.internal.ReliabilityStartFailureAnalyzer;
import io.github.reliability4j.spring.routing.RoutedDataSource;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.StandardEnvironment;

/**
 * Start-up failures a person can act on (issue 20 item 4), on a real replicated PostgreSQL: the
 * failure report names the Spring property to fix, the pools opened before the failure are closed,
 * pools carry their node's name, and the token secret never reaches the output.
 */
@ReplicatedPostgres(replicas = 1)
@ExtendWith(OutputCaptureExtension.class)
class StartFailureReportTest {

  static PostgresCluster cluster;

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}

  @BeforeAll
  static void cluster(PostgresCluster c) {
    cluster = c;
  }

  static SpringApplicationBuilder app(String... properties) {
    return new SpringApplicationBuilder(App.class)
        .web(org.springframework.boot.WebApplicationType.NONE)
        .properties("spring.main.banner-mode=off", "spring.datasource.username=postgres")
        .properties(properties);
  }

  static String url(String base, String applicationName) {
    return base + (base.contains("?") ? "&" : "?") + "ApplicationName=" + applicationName;
  }

  @Test
  void aReplicaThatIsAPrimaryFailsWithTheReplicaPropertyAndLeavesNoPoolOpen(CapturedOutput output)
      throws Exception {
    String tag = "r4j-fail-" + UUID.randomUUID().toString().substring(0, 8);
    String primary = url(cluster.primary().jdbcUrl(), tag + "-p");
    // replicas[0] points at the primary itself: "not in recovery"
    String replica = url(cluster.primary().jdbcUrl(), tag + "-r");
    SpringApplicationBuilder app =
        app(
            "spring.datasource.url=" + primary,
            "reliability.routing.replicas[0].url=" + replica,
            "reliability.routing.token-secret=0123456789abcdef0123456789abcdef-test");

    assertThatThrownBy(() -> app.run()).hasStackTraceContaining("is not in recovery");

    // Spring Boot printed our analysis, not only a stack trace
    assertThat(output.getOut() + output.getErr())
        .contains("APPLICATION FAILED TO START")
        .contains("replica 'replica-0' is not in recovery")
        .contains("reliability.routing.replicas[0].url");
    // both pools were started by the node validation and must be closed now
    awaitNoConnections(tag + "-p");
    awaitNoConnections(tag + "-r");
  }

  @Test
  void theAnalysisNamesTheReplicaPropertyForANamedReplica() {
    StandardEnvironment env = new StandardEnvironment();
    env.getPropertySources()
        .addFirst(
            new org.springframework.core.env.MapPropertySource(
                "test",
                java.util.Map.of(
                    "reliability.routing.replicas[0].url", "jdbc:postgresql://a/db",
                    "reliability.routing.replicas[1].url", "jdbc:postgresql://b/db",
                    "reliability.routing.replicas[1].name", "east")));
    FailureAnalysis analysis =
        new ReliabilityStartFailureAnalyzer(env)
            .analyze(
                new IllegalStateException(
                    "wrapped",
                    new io.github.reliability4j.jdbc.routing.RoutingConfigurationException(
                        "east", "replica 'east' is not in recovery", null)));
    assertThat(analysis.getDescription()).contains("replica 'east' is not in recovery");
    assertThat(analysis.getAction())
        .contains("reliability.routing.replicas[1].url")
        .contains("reliability.routing.enabled=false");
  }

  @Test
  void poolsAreNamedAfterTheirNode() throws Exception {
    try (ConfigurableApplicationContext ctx =
        app(
                "spring.datasource.url=" + cluster.primary().jdbcUrl(),
                "reliability.routing.replicas[0].url=" + cluster.replica(0).jdbcUrl(),
                "reliability.routing.token-secret=0123456789abcdef0123456789abcdef-test",
                "reliability.idempotency.store=memory")
            .run()) {
      RoutedDataSource routed = (RoutedDataSource) ctx.getBean(DataSource.class);
      assertThat(((HikariDataSource) routed.getPrimary()).getPoolName())
          .isEqualTo("reliability-primary");
      assertThat(((HikariDataSource) routed.getReplicas().get("replica-0")).getPoolName())
          .isEqualTo("reliability-replica-0");
    }
  }

  @Test
  void aPoolNameTheApplicationChoseIsKept() throws Exception {
    try (ConfigurableApplicationContext ctx =
        app(
                "spring.datasource.url=" + cluster.primary().jdbcUrl(),
                "spring.datasource.hikari.pool-name=orders-db",
                "reliability.routing.replicas[0].url=" + cluster.replica(0).jdbcUrl(),
                "reliability.routing.token-secret=0123456789abcdef0123456789abcdef-test",
                "reliability.idempotency.store=memory")
            .run()) {
      RoutedDataSource routed = (RoutedDataSource) ctx.getBean(DataSource.class);
      assertThat(((HikariDataSource) routed.getPrimary()).getPoolName()).isEqualTo("orders-db");
    }
  }

  @Test
  void aTooShortTokenSecretIsReportedWithoutItsValue(CapturedOutput output) {
    String secret = "s3cr3t-" + UUID.randomUUID().toString().substring(0, 8); // 15 characters
    SpringApplicationBuilder app =
        app(
            "spring.datasource.url=" + cluster.primary().jdbcUrl(),
            "reliability.routing.replicas[0].url=" + cluster.replica(0).jdbcUrl(),
            "reliability.routing.token-secret=" + secret);

    Throwable failure = org.assertj.core.api.Assertions.catchThrowable(app::run);

    assertThat(failure).isNotNull();
    StringWriter trace = new StringWriter();
    failure.printStackTrace(new PrintWriter(trace));
    String everything = output.getOut() + output.getErr() + trace;
    assertThat(everything)
        .contains("APPLICATION FAILED TO START")
        .contains("tokenSecret")
        .contains("must be at least 32 characters")
        .doesNotContain(secret);
  }

  @Test
  void aMissingIdempotencyTableTellsTheSpringProperty(CapturedOutput output) {
    String table = "r4j_missing_" + UUID.randomUUID().toString().substring(0, 8).replace('-', '_');
    SpringApplicationBuilder app =
        app(
            "spring.datasource.url=" + cluster.primary().jdbcUrl(),
            "reliability.idempotency.store=jdbc",
            "reliability.idempotency.jdbc.table-name=" + table,
            "reliability.idempotency.jdbc.initialize-schema=false");
    Throwable failure = org.assertj.core.api.Assertions.catchThrowable(app::run);
    if (failure == null) {
      throw new AssertionError("a start without the idempotency table must fail");
    }
    assertThat(output.getOut() + output.getErr())
        .contains("APPLICATION FAILED TO START")
        .contains(table)
        .contains("reliability.idempotency.jdbc.initialize-schema=true");
  }

  static void awaitNoConnections(String applicationName) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    int open;
    do {
      try (Connection c = cluster.primary().dataSource().getConnection();
          PreparedStatement ps =
              c.prepareStatement(
                  "select count(*) from pg_stat_activity where application_name = ?")) {
        ps.setString(1, applicationName);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          open = rs.getInt(1);
        }
      }
      if (open == 0) {
        return;
      }
      Thread.sleep(50);
    } while (Instant.now().isBefore(deadline));
    throw new AssertionError(
        open + " connection(s) of '" + applicationName + "' still open after a failed start");
  }
}
