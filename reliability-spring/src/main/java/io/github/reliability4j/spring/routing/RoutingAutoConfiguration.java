package io.github.reliability4j.spring.routing;

import io.github.reliability4j.core.routing.ReplicaOutageLog;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.spring.internal.RoutingDataSources;
import javax.sql.DataSource;
import org.springframework.aop.Advisor;
import org.springframework.aop.support.ComposablePointcut;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.core.Ordered;

/**
 * Replica routing for the application's DataSource.
 *
 * <ul>
 *   <li>a bean post-processor wraps the DataSource bean ({@code
 *       reliability.routing.data-source-bean}, default {@code dataSource}) in a {@link
 *       RoutedDataSource} when replicas are configured;
 *   <li>an infrastructure advisor applies {@link ReadConsistency} and {@link ReadFrom};
 *   <li>in a servlet web application, a filter {@code reliabilityConsistencySessionFilter} carries
 *       each client's consistency session across requests (header, opt-in cookie);
 *   <li>{@link ConsistencyTokens} for messaging.
 * </ul>
 *
 * Disabled by {@code reliability.routing.enabled=false}.
 */
@AutoConfiguration(
    afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnClass(name = "org.springframework.boot.jdbc.DataSourceBuilder")
@ConditionalOnProperty(
    prefix = "reliability.routing",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
@EnableConfigurationProperties(RoutingProperties.class)
public class RoutingAutoConfiguration {

  /** Order of the session filter: before the idempotency filter, after Spring Security. */
  public static final int FILTER_ORDER = -10;

  @Bean
  static RoutingDataSourcePostProcessor reliabilityRoutingDataSourcePostProcessor() {
    return new RoutingDataSourcePostProcessor();
  }

  /**
   * Logs a replica outage once when it starts, at most once a minute while it lasts, and once when
   * it ends (instead of one line per failed probe). Replace the bean to change the interval.
   */
  @Bean
  @ConditionalOnMissingBean(ReplicaOutageLog.class)
  static ReplicaOutageLog reliabilityReplicaOutageLog() {
    return ReplicaOutageLog.ofDefaults();
  }

  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  @ConditionalOnClass(name = "org.aopalliance.intercept.MethodInterceptor")
  static Advisor reliabilityRoutingAnnotationAdvisor() {
    ComposablePointcut pointcut =
        new ComposablePointcut(new AnnotationMatchingPointcut(ReadConsistency.class, true))
            .union(AnnotationMatchingPointcut.forMethodAnnotation(ReadConsistency.class))
            .union(new AnnotationMatchingPointcut(ReadFrom.class, true))
            .union(AnnotationMatchingPointcut.forMethodAnnotation(ReadFrom.class));
    DefaultPointcutAdvisor advisor =
        new DefaultPointcutAdvisor(pointcut, new RoutingAnnotationInterceptor());
    advisor.setOrder(Ordered.HIGHEST_PRECEDENCE + 100);
    return advisor;
  }

  static ReplicaRoutingDataSource router(DataSource dataSource) {
    return RoutingDataSources.router(dataSource);
  }

  /**
   * Null (no bean: {@code getIfAvailable()} answers null) when the DataSource does not route; a
   * DataSource that cannot answer whether it routes fails the start.
   */
  @Bean
  @ConditionalOnBean(DataSource.class)
  @ConditionalOnMissingBean
  ConsistencyTokens reliabilityConsistencyTokens(DataSource dataSource) {
    ReplicaRoutingDataSource router = router(dataSource);
    return router == null ? null : new ConsistencyTokens(router);
  }

  /** HTTP propagation of consistency sessions. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnClass(name = "jakarta.servlet.Filter")
  @ConditionalOnProperty(
      prefix = "reliability.routing.session",
      name = "enabled",
      havingValue = "true",
      matchIfMissing = true)
  static class SessionConfiguration {

    @Bean
    @ConditionalOnBean(DataSource.class)
    @ConditionalOnMissingBean(name = "reliabilityConsistencySessionFilter")
    FilterRegistrationBean<?> reliabilityConsistencySessionFilter(
        DataSource dataSource, RoutingProperties properties) {
      ReplicaRoutingDataSource router = router(dataSource);
      FilterRegistrationBean<ConsistencySessionFilter> registration =
          new FilterRegistrationBean<>();
      registration.setName("reliabilityConsistencySessionFilter");
      registration.setOrder(FILTER_ORDER);
      // Without replicas the filter passes requests through untouched.
      registration.setFilter(
          new ConsistencySessionFilter(
              router, RoutingDataSources.unrouted(dataSource), properties.getSession()));
      return registration;
    }
  }
}
