package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.InMemoryIdempotencyStore;
import io.github.reliability4j.core.idempotency.event.IdempotencyEventListener;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;
import io.github.reliability4j.spring.InvalidReliabilityPropertyException;
import java.time.Clock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * Auto-configuration for {@link Idempotent @Idempotent} Spring MVC endpoints.
 *
 * <p>Beans (each replaceable by declaring one of the same type or name):
 *
 * <ul>
 *   <li>{@link IdempotencyStore} {@code reliabilityIdempotencyStore}: the JDBC store when the
 *       application has a single {@code DataSource} (see {@code
 *       JdbcIdempotencyStoreConfiguration}), else an in-memory store with a start-up WARN (it does
 *       not deduplicate across instances);
 *   <li>{@link IdempotencyScopeResolver}: tenant ({@link TenantResolver} bean, if any) plus the
 *       authenticated principal;
 *   <li>a servlet filter registration {@code reliabilityIdempotencyFilter}, ordered after Spring
 *       Security's filter chain.
 * </ul>
 *
 * Disabled by {@code reliability.idempotency.enabled=false}.
 */
@AutoConfiguration(
    afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnProperty(
    prefix = "reliability.idempotency",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
@EnableConfigurationProperties(IdempotencyProperties.class)
public class IdempotencyAutoConfiguration {

  /** Order of the filter: after Spring Security's chain (-100), before most application filters. */
  public static final int FILTER_ORDER = 0;

  private static final Logger log = LoggerFactory.getLogger(IdempotencyAutoConfiguration.class);

  @Bean
  @ConditionalOnMissingBean(IdempotencyStore.class)
  IdempotencyStore reliabilityIdempotencyStore(
      IdempotencyProperties properties,
      ObjectProvider<DataSource> dataSources,
      ObjectProvider<InMemoryIdempotencyStoreCustomizer> memoryCustomizers,
      ObjectProvider<JdbcIdempotencyStoreCustomizer> jdbcCustomizers) {
    IdempotencyProperties.StoreType type = properties.getStore();
    DataSource dataSource =
        type == IdempotencyProperties.StoreType.MEMORY ? null : dataSources.getIfUnique();
    if (dataSource != null) {
      IdempotencyProperties.Jdbc jdbc = properties.getJdbc();
      JdbcIdempotencyStoreConfig.Builder builder =
          JdbcIdempotencyStoreConfig.custom()
              .tableName(jdbc.getTableName())
              .initializeSchema(jdbc.isInitializeSchema())
              .queryTimeout(jdbc.getQueryTimeout());
      jdbcCustomizers.orderedStream().forEach(c -> c.customize(builder));
      return JdbcIdempotencyStore.create(dataSource, builder.build());
    }
    if (type == IdempotencyProperties.StoreType.JDBC) {
      throw new InvalidReliabilityPropertyException(
          "reliability.idempotency.store",
          "jdbc",
          "requires exactly one DataSource bean (none or several found)");
    }
    log.warn(
        "reliability4j idempotency uses an IN-MEMORY store: keys are deduplicated within this"
            + " instance only and are lost on restart. Provide a DataSource (JDBC store) or an"
            + " IdempotencyStore bean for deduplication across instances.");
    InMemoryIdempotencyStore.Builder builder = InMemoryIdempotencyStore.builder();
    memoryCustomizers.orderedStream().forEach(c -> c.customize(builder));
    return builder.build();
  }

  @Bean
  @ConditionalOnMissingBean(name = "reliabilityIdempotencyPurger")
  JdbcIdempotencyPurger reliabilityIdempotencyPurger(
      ObjectProvider<IdempotencyStore> store, IdempotencyProperties properties) {
    return new JdbcIdempotencyPurger(store, properties.getJdbc().getPurgeInterval());
  }

  /** Outbound retries for auto-configured RestClient builders (opt-in). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "org.springframework.boot.restclient.RestClientCustomizer",
        "io.github.resilience4j.retry.Retry"
      })
  @ConditionalOnProperty(prefix = "reliability.idempotency.client", name = "enabled")
  static class ClientConfiguration {

    @Bean
    @ConditionalOnMissingBean
    IdempotentRetryInterceptor reliabilityIdempotentRetryInterceptor(IdempotencyProperties p) {
      return IdempotentRetryInterceptor.of(p.getClient().getMaxAttempts(), p.getClient().getWait())
          .withHeaderName(p.getHeaderName())
          .withMethods(
              p.getClient().getMethods().stream()
                  .map(
                      m ->
                          org.springframework.http.HttpMethod.valueOf(
                              m.toUpperCase(java.util.Locale.ROOT)))
                  .collect(java.util.stream.Collectors.toSet()));
    }

    @Bean
    org.springframework.boot.restclient.RestClientCustomizer reliabilityIdempotentRetryCustomizer(
        IdempotentRetryInterceptor interceptor) {
      // Added last so that a retry re-executes every interceptor registered before it.
      return builder -> builder.requestInterceptors(list -> list.add(interceptor));
    }
  }

  /** The servlet part: only in a servlet web application with Spring MVC. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnClass(DispatcherServlet.class)
  static class WebConfiguration {

    @Bean
    @ConditionalOnMissingBean
    IdempotencyScopeResolver reliabilityIdempotencyScopeResolver(
        IdempotencyProperties properties, ObjectProvider<TenantResolver> tenantResolver) {
      boolean security =
          ClassUtils.isPresent(
              "org.springframework.security.core.context.SecurityContextHolder",
              WebConfiguration.class.getClassLoader());
      return new DefaultIdempotencyScopeResolver(
          tenantResolver.getIfUnique(),
          security
              ? SecurityPrincipals::principal
              : DefaultIdempotencyScopeResolver::servletPrincipal,
          properties.isScopeByPrincipal());
    }

    @Bean
    @ConditionalOnMissingBean(name = "reliabilityIdempotencyFilter")
    FilterRegistrationBean<IdempotencyFilter> reliabilityIdempotencyFilter(
        ListableBeanFactory beanFactory,
        ObjectProvider<IdempotencyStore> store,
        IdempotencyProperties properties,
        IdempotencyScopeResolver scopeResolver,
        ObjectProvider<IdempotencyEventListener> listeners) {
      IdempotencyFilter filter =
          new IdempotencyFilter(
              new IdempotentHandlerLookup(beanFactory),
              store::getObject,
              properties,
              scopeResolver,
              listeners.orderedStream().toList(),
              Clock.systemUTC());
      FilterRegistrationBean<IdempotencyFilter> registration = new FilterRegistrationBean<>(filter);
      registration.setName("reliabilityIdempotencyFilter");
      registration.setOrder(FILTER_ORDER);
      return registration;
    }
  }
}
