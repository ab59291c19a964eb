package io.github.reliability4j.spring.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.spring.metrics.ReliabilityMetricsAutoConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * The two beans that ask the DataSource whether it routes (consistency tokens, lag meters) fail the
 * start with a clear message when it cannot answer, instead of swallowing the SQLException and
 * silently running without them.
 */
class UnanswerableDataSourceTest {

  static DataSource unanswerable() {
    return new DriverManagerDataSource("jdbc:h2:mem:unanswerable") {
      @Override
      public boolean isWrapperFor(Class<?> iface) throws SQLException {
        throw new SQLException("wrapper check broken", "08000");
      }

      @Override
      public String toString() {
        return "UnanswerableDataSource";
      }
    };
  }

  @Test
  void consistencyTokensFailTheStart() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(RoutingAutoConfiguration.class))
        .withBean(DataSource.class, UnanswerableDataSourceTest::unanswerable)
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              assertThat(ctx.getStartupFailure())
                  .rootCause()
                  .isInstanceOf(SQLException.class)
                  .hasMessage("wrapper check broken");
              assertThat(ctx.getStartupFailure())
                  .hasStackTraceContaining("could not tell whether the DataSource")
                  .hasStackTraceContaining("UnanswerableDataSource routes to replicas")
                  .hasStackTraceContaining("reliability.routing.enabled=false");
            });
  }

  @Test
  void lagMetersFailTheStart() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ReliabilityMetricsAutoConfiguration.class))
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withBean(DataSource.class, UnanswerableDataSourceTest::unanswerable)
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              assertThat(ctx.getStartupFailure())
                  .hasStackTraceContaining("could not tell whether the DataSource");
            });
  }

  @Test
  void aPlainDataSourceStillGetsNoRoutingBeans() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(RoutingAutoConfiguration.class))
        .withBean(DataSource.class, () -> new DriverManagerDataSource("jdbc:h2:mem:plain"))
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx.getBeanProvider(ConsistencyTokens.class).getIfAvailable()).isNull();
            });
  }
}
