package io.github.reliability4j.spring.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.health.ProbeWeight;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

class HealthAutoConfigurationTest {

  final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(HealthAutoConfiguration.class));

  @Test
  void checkerWithDataSourceProbeAndUserProbes() {
    runner
        .withBean(
            DataSource.class,
            () -> new DriverManagerDataSource("jdbc:h2:mem:health;DB_CLOSE_DELAY=-1"))
        .withBean(
            ProbeRegistration.class,
            () ->
                ProbeRegistration.builder("cache", ctx -> ProbeResult.pass())
                    .kinds(ProbeKind.READINESS)
                    .weight(ProbeWeight.DEGRADING)
                    .build())
        .run(
            ctx -> {
              HealthChecker checker = ctx.getBean(HealthChecker.class);
              assertThat(checker.registrations())
                  .extracting(ProbeRegistration::name)
                  .containsExactlyInAnyOrder("db", "cache");
              assertThat(ctx).hasBean("reliabilityHealthContributor");
              assertThat(ctx).hasBean("reliabilityReadinessHealthIndicator");
              assertThat(ctx).hasSingleBean(HealthCheckerLifecycle.class);
            });
  }

  @Test
  void dataSourceProbeCanBeSwitchedOff() {
    runner
        .withBean(
            DataSource.class,
            () -> new DriverManagerDataSource("jdbc:h2:mem:health2;DB_CLOSE_DELAY=-1"))
        .withPropertyValues("reliability.health.data-source-probes=false")
        .run(ctx -> assertThat(ctx.getBean(HealthChecker.class).registrations()).isEmpty());
  }

  @Test
  void backsOffWhenTheUserDefinesAChecker() {
    HealthChecker mine = HealthChecker.builder().name("mine").build();
    runner
        .withBean(HealthChecker.class, () -> mine)
        .run(ctx -> assertThat(ctx.getBean(HealthChecker.class)).isSameAs(mine));
  }

  @Test
  void disabledByProperty() {
    runner
        .withPropertyValues("reliability.health.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(HealthChecker.class));
  }

  @Test
  void actuatorPartOffWithoutSpringBootHealth() {
    runner
        .withClassLoader(new FilteredClassLoader(HealthIndicator.class))
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(HealthChecker.class);
              assertThat(ctx).doesNotHaveBean("reliabilityHealthContributor");
            });
  }

  @Test
  void propertiesAreBoundAndValidated() {
    runner
        .withPropertyValues(
            "reliability.health.interval=3s",
            "reliability.health.endpoint.show-details=always",
            "reliability.health.drain-delay=1s")
        .run(
            ctx -> {
              HealthProperties p = ctx.getBean(HealthProperties.class);
              assertThat(p.getInterval()).hasSeconds(3);
              assertThat(p.getEndpoint().getShowDetails())
                  .isEqualTo(HealthProperties.ShowDetails.ALWAYS);
              assertThat(ctx.getBean(HealthChecker.class).config().interval()).hasSeconds(3);
            });
    for (String bad :
        new String[] {
          "reliability.health.interval=0s",
          "reliability.health.failure-threshold=0",
          "reliability.health.drain-delay=-1s",
          "reliability.health.pool.warn-utilization=1.5",
          "reliability.health.pool.fail-waiting-for=0s",
          "reliability.health.pool.fail-acquire-timeouts=0"
        }) {
      runner
          .withPropertyValues(bad)
          .run(
              ctx -> {
                assertThat(ctx).as(bad).hasFailed();
                StringBuilder all = new StringBuilder();
                for (Throwable c = ctx.getStartupFailure(); c != null; c = c.getCause()) {
                  all.append(c.getMessage()).append('\n');
                }
                assertThat(all.toString()).as(bad).contains("reliability.health");
              });
    }
  }
}
