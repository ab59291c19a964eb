package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.InMemoryIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.spring.internal.ReliabilityPropertyFailureAnalyzer;
import io.github.resilience4j.retry.Retry;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.servlet.DispatcherServlet;

@ExtendWith(OutputCaptureExtension.class)
class IdempotencyAutoConfigurationTest {

  final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class));

  static DataSource h2() {
    return new DriverManagerDataSource(
        "jdbc:h2:mem:idem" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
  }

  @Test
  void inMemoryStoreWithWarningWhenThereIsNoDataSource(CapturedOutput output) {
    runner.run(
        ctx -> {
          assertThat(ctx).hasSingleBean(IdempotencyStore.class);
          assertThat(ctx.getBean(IdempotencyStore.class))
              .isInstanceOf(InMemoryIdempotencyStore.class);
          assertThat(output).contains("IN-MEMORY store");
        });
  }

  @Test
  void jdbcStoreWhenADataSourceExists() {
    runner
        .withBean(DataSource.class, IdempotencyAutoConfigurationTest::h2)
        .withPropertyValues(
            "reliability.idempotency.jdbc.initialize-schema=true",
            "reliability.idempotency.jdbc.table-name=my_keys")
        .run(
            ctx -> {
              assertThat(ctx.getBean(IdempotencyStore.class))
                  .isInstanceOf(JdbcIdempotencyStore.class);
              assertThat(
                      ((JdbcIdempotencyStore) ctx.getBean(IdempotencyStore.class)).getTableName())
                  .isEqualTo("my_keys");
              assertThat(ctx.getBean(JdbcIdempotencyPurger.class).getScheduler()).isNotNull();
            });
  }

  @Test
  void engineIsBuiltFromTheStoreAndPropertiesAndBacksOffForAUserBean() {
    runner
        .withPropertyValues(
            "reliability.idempotency.lease-duration=12s",
            "reliability.idempotency.retention=2h",
            "reliability.idempotency.store-failure-mode=fail-open",
            "reliability.idempotency.max-stored-response-size=64KB")
        .run(
            ctx -> {
              io.github.reliability4j.core.idempotency.Idempotency engine =
                  ctx.getBean(io.github.reliability4j.core.idempotency.Idempotency.class);
              assertThat(engine.store()).isSameAs(ctx.getBean(IdempotencyStore.class));
              assertThat(engine.getCircuitBreaker()).isNotNull();
              io.github.reliability4j.core.idempotency.IdempotencyConfig c =
                  engine.configFor("any");
              assertThat(c.getLeaseDuration()).hasSeconds(12);
              assertThat(c.getRetention()).hasHours(2);
              assertThat(c.getOutagePolicy())
                  .isEqualTo(io.github.reliability4j.core.idempotency.OutagePolicy.FAIL_OPEN);
              assertThat(c.getMaxStoredOutcomeBytes()).isEqualTo(64 * 1024);
            });
    io.github.reliability4j.core.idempotency.Idempotency mine =
        io.github.reliability4j.core.idempotency.Idempotency.of(InMemoryIdempotencyStore.create());
    runner
        .withBean(io.github.reliability4j.core.idempotency.Idempotency.class, () -> mine)
        .run(
            ctx ->
                assertThat(ctx.getBean(io.github.reliability4j.core.idempotency.Idempotency.class))
                    .isSameAs(mine));
  }

  @Test
  void transactionalAdvisorInServletAppsUnlessDisabled() {
    org.springframework.boot.test.context.runner.WebApplicationContextRunner web =
        new org.springframework.boot.test.context.runner.WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class));
    web.run(ctx -> assertThat(ctx).hasBean("reliabilityIdempotencyTransactionalAdvisor"));
    web.withPropertyValues("reliability.idempotency.transactional=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean("reliabilityIdempotencyTransactionalAdvisor"));
    runner.run(
        ctx -> assertThat(ctx).doesNotHaveBean("reliabilityIdempotencyTransactionalAdvisor"));
  }

  @Test
  void negativeStoreCallTimeoutFailsStartUp() {
    runner
        .withPropertyValues("reliability.idempotency.store-call-timeout=-1s")
        .run(ctx -> assertThat(ctx).hasFailed());
  }

  @Test
  void memoryStoreCanBeForcedEvenWithADataSource() {
    runner
        .withBean(DataSource.class, IdempotencyAutoConfigurationTest::h2)
        .withPropertyValues("reliability.idempotency.store=memory")
        .run(
            ctx ->
                assertThat(ctx.getBean(IdempotencyStore.class))
                    .isInstanceOf(InMemoryIdempotencyStore.class));
  }

  @Test
  void jdbcStoreRequiredWithoutDataSourceFailsNamingTheProperty() {
    runner
        .withPropertyValues("reliability.idempotency.store=jdbc")
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              FailureAnalysis analysis =
                  new ReliabilityPropertyFailureAnalyzer().analyze(ctx.getStartupFailure());
              assertThat(analysis).isNotNull();
              assertThat(analysis.getDescription()).contains("reliability.idempotency.store");
              assertThat(analysis.getAction()).contains("reliability.idempotency.store");
            });
  }

  @Test
  void backsOffWhenTheUserDefinesAStore() {
    InMemoryIdempotencyStore mine = InMemoryIdempotencyStore.create();
    runner
        .withBean(IdempotencyStore.class, () -> mine)
        .run(ctx -> assertThat(ctx.getBean(IdempotencyStore.class)).isSameAs(mine));
  }

  @Test
  void disabledByProperty() {
    runner
        .withPropertyValues("reliability.idempotency.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(IdempotencyStore.class));
  }

  @Test
  void propertiesAreBound() {
    runner
        .withPropertyValues(
            "reliability.idempotency.header-name=X-Request-Key",
            "reliability.idempotency.retention=2h",
            "reliability.idempotency.max-key-length=64",
            "reliability.idempotency.replay-headers=Location,X-Order-Id")
        .run(
            ctx -> {
              IdempotencyProperties p = ctx.getBean(IdempotencyProperties.class);
              assertThat(p.getHeaderName()).isEqualTo("X-Request-Key");
              assertThat(p.getRetention()).hasHours(2);
              assertThat(p.getMaxKeyLength()).isEqualTo(64);
              assertThat(p.getReplayHeaders()).containsExactly("Location", "X-Order-Id");
            });
  }

  @Test
  void invalidPropertiesFailStartupNamingTheProperty() {
    for (String bad :
        new String[] {
          "reliability.idempotency.retention=0s",
          "reliability.idempotency.lease-duration=-1s",
          "reliability.idempotency.max-key-length=0",
          "reliability.idempotency.header-name=bad header",
          "reliability.idempotency.replay-headers=Location,Set-Cookie",
          "reliability.idempotency.jdbc.table-name=drop table;",
          "reliability.idempotency.client.max-attempts=0"
        }) {
      String property = bad.substring(0, bad.indexOf('='));
      runner
          .withPropertyValues(bad)
          .run(
              ctx -> {
                assertThat(ctx).as(bad).hasFailed();
                Throwable t = ctx.getStartupFailure();
                StringBuilder all = new StringBuilder();
                for (Throwable c = t; c != null; c = c.getCause()) {
                  all.append(c.getMessage()).append('\n');
                }
                // Boot reports the property either by name or as prefix + field path.
                String field = camel(property.substring("reliability.idempotency.".length()));
                assertThat(all.toString())
                    .as(bad)
                    .satisfiesAnyOf(
                        m -> assertThat(m).contains(property),
                        m ->
                            assertThat(m)
                                .contains("reliability.idempotency")
                                .contains("field '" + field + "'"));
              });
    }
  }

  static String camel(String dashed) {
    return io.github.reliability4j.spring.PropertyBoundsTest.camel(dashed);
  }

  final WebApplicationContextRunner web =
      new WebApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class));

  @Test
  void filterIsRegisteredInServletApplicationsOnly() {
    web.run(ctx -> assertThat(ctx).hasBean("reliabilityIdempotencyFilter"));
    runner.run(ctx -> assertThat(ctx).doesNotHaveBean("reliabilityIdempotencyFilter"));
    web.withClassLoader(new FilteredClassLoader(DispatcherServlet.class))
        .run(ctx -> assertThat(ctx).doesNotHaveBean("reliabilityIdempotencyFilter"));
  }

  @Test
  void filterBacksOffForUserRegistration() {
    FilterRegistrationBean<?> mine = new FilterRegistrationBean<>();
    web.withBean("reliabilityIdempotencyFilter", FilterRegistrationBean.class, () -> mine)
        .run(ctx -> assertThat(ctx.getBean("reliabilityIdempotencyFilter")).isSameAs(mine));
  }

  @Test
  void scopeCombinesTenantAndPrincipal() {
    web.withBean(TenantResolver.class, () -> req -> req.getHeader("X-Tenant"))
        .run(
            ctx -> {
              IdempotencyScopeResolver resolver = ctx.getBean(IdempotencyScopeResolver.class);
              MockHttpServletRequest a = new MockHttpServletRequest();
              a.addHeader("X-Tenant", "acme");
              a.setUserPrincipal(() -> "alice");
              MockHttpServletRequest b = new MockHttpServletRequest();
              b.addHeader("X-Tenant", "other");
              b.setUserPrincipal(() -> "alice");
              MockHttpServletRequest c = new MockHttpServletRequest();
              c.addHeader("X-Tenant", "acme");
              assertThat(resolver.resolveScope(a)).isNotEqualTo(resolver.resolveScope(b));
              assertThat(resolver.resolveScope(a)).isNotEqualTo(resolver.resolveScope(c));
              assertThat(resolver.resolveScope(a)).isEqualTo(resolver.resolveScope(a));
            });
  }

  @Test
  void scopeResolverBacksOff() {
    IdempotencyScopeResolver mine = req -> "everyone";
    web.withBean(IdempotencyScopeResolver.class, () -> mine)
        .run(ctx -> assertThat(ctx.getBean(IdempotencyScopeResolver.class)).isSameAs(mine));
  }

  @Test
  void restClientRetryIsOptInAndNeedsResilience4j() {
    runner.run(ctx -> assertThat(ctx).doesNotHaveBean(RestClientCustomizer.class));
    runner
        .withPropertyValues("reliability.idempotency.client.enabled=true")
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(RestClientCustomizer.class);
              assertThat(ctx).hasSingleBean(IdempotentRetryInterceptor.class);
            });
    runner
        .withPropertyValues("reliability.idempotency.client.enabled=true")
        .withClassLoader(new FilteredClassLoader(Retry.class))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(RestClientCustomizer.class));
  }
}
