package io.github.reliability4j.spring.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.ReadPreference;
import io.github.reliability4j.core.routing.RoutingOptions;
import io.github.reliability4j.spring.internal.ReliabilityPropertyFailureAnalyzer;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

class RoutingAutoConfigurationTest {

  final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(RoutingAutoConfiguration.class))
          .withBean(
              "dataSource",
              DataSource.class,
              () -> new DriverManagerDataSource("jdbc:h2:mem:routing;DB_CLOSE_DELAY=-1"));

  @Test
  void dataSourceIsLeftAloneWithoutReplicas() {
    runner.run(
        ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx.getBean(DataSource.class)).isInstanceOf(DriverManagerDataSource.class);
        });
  }

  @Test
  void disabledByProperty() {
    runner
        .withPropertyValues(
            "reliability.routing.enabled=false",
            "reliability.routing.replicas[0].url=jdbc:postgresql://nowhere/db")
        .run(
            ctx -> {
              assertThat(ctx).doesNotHaveBean(RoutingDataSourcePostProcessor.class);
              assertThat(ctx.getBean(DataSource.class)).isInstanceOf(DriverManagerDataSource.class);
            });
  }

  @Test
  void offWhenSpringBootJdbcIsMissing() {
    runner
        .withClassLoader(new FilteredClassLoader(DataSourceBuilder.class))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(RoutingProperties.class));
  }

  @Test
  void propertiesAreBound() {
    runner
        .withPropertyValues(
            "reliability.routing.data-source-bean=notThisOne",
            "reliability.routing.replicas[0].url=jdbc:postgresql://r1/db",
            "reliability.routing.replicas[0].name=east",
            "reliability.routing.replica-beans=r2",
            "reliability.routing.default-consistency=strong",
            "reliability.routing.default-read-preference=replica",
            "reliability.routing.max-causal-wait=250ms",
            "reliability.routing.session.header-name=X-Consistency",
            "reliability.routing.session.cookie.enabled=true")
        .run(
            ctx -> {
              RoutingProperties p = ctx.getBean(RoutingProperties.class);
              assertThat(p.getReplicas().get(0).getName()).isEqualTo("east");
              assertThat(p.getReplicaBeans()).containsExactly("r2");
              assertThat(p.getDefaultConsistency()).isEqualTo(RoutingProperties.Consistency.STRONG);
              assertThat(p.getDefaultReadPreference()).isEqualTo(ReadPreference.REPLICA);
              assertThat(p.getMaxCausalWait()).isEqualTo(Duration.ofMillis(250));
              assertThat(p.getSession().getHeaderName()).isEqualTo("X-Consistency");
              assertThat(p.getSession().getCookie().isEnabled()).isTrue();
            });
  }

  @Test
  void invalidPropertiesFailStartup() {
    for (String bad :
        new String[] {
          "reliability.routing.replicas[0].url=postgres://not-jdbc",
          "reliability.routing.token-secret=short",
          "reliability.routing.max-replica-lag=0s",
          "reliability.routing.session.cookie.same-site=sometimes",
          "reliability.routing.default-consistency=eventual"
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
                assertThat(all.toString()).as(bad).contains("reliability.routing");
              });
    }
  }

  @Test
  void unknownReplicaBeanFailsWithAnAnalysisNamingTheProperty() {
    runner
        .withPropertyValues("reliability.routing.replica-beans=missingReplica")
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              FailureAnalysis analysis =
                  new ReliabilityPropertyFailureAnalyzer().analyze(ctx.getStartupFailure());
              assertThat(analysis.getDescription())
                  .contains("reliability.routing.replica-beans")
                  .contains("missingReplica");
            });
  }

  @Test
  void sessionFilterOnlyInServletApplications() {
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(RoutingAutoConfiguration.class))
        .withBean(
            "dataSource",
            DataSource.class,
            () -> new DriverManagerDataSource("jdbc:h2:mem:routing2;DB_CLOSE_DELAY=-1"))
        .run(ctx -> assertThat(ctx).hasBean("reliabilityConsistencySessionFilter"));
    runner.run(ctx -> assertThat(ctx).doesNotHaveBean("reliabilityConsistencySessionFilter"));
  }

  static class Annotated {
    @ReadConsistency(value = ReadConsistency.Level.BOUNDED_STALENESS, maxStaleness = "2s")
    @ReadFrom(ReadPreference.REPLICA)
    void bounded() {}

    @ReadConsistency(ReadConsistency.Level.BOUNDED_STALENESS)
    void missingStaleness() {}
  }

  @ReadConsistency(ReadConsistency.Level.STRONG)
  static class StrongClass {
    void any() {}
  }

  @Test
  void annotationsMapToRoutingOptions() throws Exception {
    RoutingOptions o =
        RoutingAnnotationInterceptor.options(
            Annotated.class.getDeclaredMethod("bounded"), Annotated.class);
    assertThat(o.consistency()).isEqualTo(ConsistencyLevel.boundedStaleness(Duration.ofSeconds(2)));
    assertThat(o.readPreference()).isEqualTo(ReadPreference.REPLICA);
    assertThat(
            RoutingAnnotationInterceptor.options(
                    StrongClass.class.getDeclaredMethod("any"), StrongClass.class)
                .consistency())
        .isEqualTo(ConsistencyLevel.STRONG);
    assertThatThrownBy(
            () ->
                RoutingAnnotationInterceptor.options(
                    Annotated.class.getDeclaredMethod("missingStaleness"), Annotated.class))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("maxStaleness");
  }
}
