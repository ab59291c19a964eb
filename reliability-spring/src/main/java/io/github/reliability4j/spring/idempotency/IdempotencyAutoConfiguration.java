package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.InMemoryIdempotencyStore;
import io.github.reliability4j.core.idempotency.OutagePolicy;
import io.github.reliability4j.core.idempotency.event.IdempotencyEventListener;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;
import io.github.reliability4j.spring.InvalidReliabilityPropertyException;
import io.github.reliability4j.spring.internal.ReliabilityDecorators;
import io.github.reliability4j.spring.internal.RoutingDataSources;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.Advisor;
import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
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
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;

/**
 * Auto-configuration for {@link Idempotent @Idempotent} Spring MVC endpoints.
 *
 * <p>Beans (each replaceable by declaring one of the same type or name):
 *
 * <ul>
 *   <li>{@link IdempotencyStore} {@code reliabilityIdempotencyStore}: the JDBC store over the
 *       DataSource named by {@code reliability.idempotency.jdbc.data-source}, or the application's
 *       single (or {@code @Primary}) {@code DataSource}; else an in-memory store with a start-up
 *       WARN (it does not deduplicate across instances). With {@code store=jdbc}, no DataSource or
 *       an ambiguous choice among several fails the start instead;
 *   <li>{@link Idempotency} {@code reliabilityIdempotency}: the engine (store circuit breaker via
 *       {@link Idempotency#getCircuitBreaker()}, {@code store-call-timeout}, outage policy, lease
 *       renewal, events to every {@link IdempotencyEventListener} bean);
 *   <li>{@link IdempotencyScopeResolver}: tenant ({@link TenantResolver} bean, if any; several are
 *       a start-up error) plus the authenticated principal; when neither exists, one start-up WARN
 *       says that all callers share one key space;
 *   <li>a servlet filter registration {@code reliabilityIdempotencyFilter}, ordered after Spring
 *       Security's filter chain; also imported into {@code @WebMvcTest} slices;
 *   <li>start-up checks of every {@code @Idempotent} handler ({@link IdempotentHandlerVerifier}):
 *       GET/HEAD/OPTIONS without {@code allowSafeMethods}, and any {@code @Idempotent} bean in a
 *       reactive application, fail the start with an {@link InvalidIdempotentHandlerException}.
 * </ul>
 *
 * Disabled by {@code reliability.idempotency.enabled=false}.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration"
    })
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
      ListableBeanFactory beanFactory,
      ObjectProvider<DataSource> dataSources,
      ObjectProvider<InMemoryIdempotencyStoreCustomizer> memoryCustomizers,
      ObjectProvider<JdbcIdempotencyStoreCustomizer> jdbcCustomizers) {
    IdempotencyProperties.StoreType type = properties.getStore();
    if (type == IdempotencyProperties.StoreType.REDIS) {
      // RedisIdempotencyAutoConfiguration defines the store first when it can.
      throw new InvalidReliabilityPropertyException(
          "reliability.idempotency.store",
          "redis",
          "requires reliability-redis and spring-boot-data-redis (Lettuce) on the classpath and a"
              + " LettuceConnectionFactory or Lettuce client bean");
    }
    DataSource dataSource =
        type == IdempotencyProperties.StoreType.MEMORY
            ? null
            : storeDataSource(properties, beanFactory, dataSources);
    if (dataSource != null) {
      IdempotencyProperties.Jdbc jdbc = properties.getJdbc();
      JdbcIdempotencyStoreConfig.Builder builder =
          JdbcIdempotencyStoreConfig.custom()
              .tableName(jdbc.getTableName())
              .initializeSchema(jdbc.isInitializeSchema())
              .queryTimeout(jdbc.getQueryTimeout());
      jdbcCustomizers.orderedStream().forEach(c -> c.customize(builder));
      // With replica routing on, the store talks to the primary pool directly: one round trip
      // per claim/complete, and the request's consistency token stays the business writes' one.
      return JdbcIdempotencyStore.create(RoutingDataSources.unrouted(dataSource), builder.build());
    }
    String[] names = beanFactory.getBeanNamesForType(DataSource.class);
    if (type == IdempotencyProperties.StoreType.JDBC) {
      throw new InvalidReliabilityPropertyException(
          "reliability.idempotency.store",
          "jdbc",
          names.length == 0
              ? "requires a DataSource bean (none found)"
              : "requires one DataSource, and "
                  + names.length
                  + " DataSource beans "
                  + Arrays.toString(names)
                  + " leave the choice ambiguous; set reliability.idempotency.jdbc.data-source to"
                  + " the bean name of the one that holds the records (or mark one @Primary)");
    }
    if (names.length > 1) {
      log.warn(
          "reliability4j idempotency found {} DataSource beans {} and none is @Primary or named by"
              + " reliability.idempotency.jdbc.data-source; falling back to an in-memory store."
              + " Set that property (and store=jdbc) to keep records in the database.",
          names.length,
          Arrays.toString(names));
    }
    log.warn(
        "reliability4j idempotency uses an IN-MEMORY store: keys are deduplicated within this"
            + " instance only and are lost on restart. Provide a DataSource (JDBC store) or an"
            + " IdempotencyStore bean for deduplication across instances.");
    InMemoryIdempotencyStore.Builder builder = InMemoryIdempotencyStore.builder();
    memoryCustomizers.orderedStream().forEach(c -> c.customize(builder));
    return builder.build();
  }

  /**
   * The DataSource of the JDBC store: the bean named by {@code
   * reliability.idempotency.jdbc.data-source}, else the application's single (or {@code @Primary})
   * one, else null.
   *
   * @throws InvalidReliabilityPropertyException if the named bean does not exist or is no
   *     DataSource
   */
  static DataSource storeDataSource(
      IdempotencyProperties properties,
      ListableBeanFactory beanFactory,
      ObjectProvider<DataSource> dataSources) {
    String name = properties.getJdbc().getDataSource();
    if (name == null) {
      return dataSources.getIfUnique();
    }
    if (!beanFactory.containsBean(name) || !beanFactory.isTypeMatch(name, DataSource.class)) {
      throw new InvalidReliabilityPropertyException(
          "reliability.idempotency.jdbc.data-source",
          name,
          "must name a DataSource bean; the DataSource beans are "
              + Arrays.toString(beanFactory.getBeanNamesForType(DataSource.class)));
    }
    return beanFactory.getBean(name, DataSource.class);
  }

  /**
   * The engine every {@code @Idempotent} request goes through: circuit breaker and per-call timeout
   * around the store, outage policy, lease renewal and events. Its defaults come from {@code
   * reliability.idempotency.*}; each annotation derives its own config from them.
   */
  @Bean
  @ConditionalOnMissingBean(Idempotency.class)
  Idempotency reliabilityIdempotency(
      IdempotencyStore store,
      IdempotencyProperties properties,
      ObjectProvider<IdempotencyEventListener> listeners,
      ObjectProvider<ReliabilityDecorators.StoreDecorator> decorators) {
    IdempotencyStore called = store;
    for (ReliabilityDecorators.StoreDecorator d : decorators.orderedStream().toList()) {
      called = d.decorate(called);
    }
    Idempotency.Builder builder =
        Idempotency.builder(called).defaultConfig(engineDefaults(properties));
    if (properties.getStoreCallTimeout().isZero()) {
      builder.withoutStoreCallTimeout();
    } else {
      builder.storeCallTimeout(properties.getStoreCallTimeout());
    }
    listeners.orderedStream().forEach(builder::listener);
    return builder.build();
  }

  /**
   * The engine defaults derived from {@code reliability.idempotency.*}; also the base of listener
   * configs.
   */
  public static IdempotencyConfig engineDefaults(IdempotencyProperties properties) {
    IdempotencyConfig.Builder config = IdempotencyConfig.custom();
    // Zero is this layer's "answer at once": the filter and the listeners answer as REJECT and
    // never
    // wait, so the engine keeps the core default (the core's waitTimeout must be positive).
    if (!properties.getWaitTimeout().isZero()) {
      config.waitTimeout(properties.getWaitTimeout());
    }
    return config
        .leaseDuration(properties.getLeaseDuration())
        .retention(properties.getRetention())
        .outagePolicy(
            properties.getStoreFailureMode() == IdempotencyProperties.StoreFailureMode.FAIL_OPEN
                ? OutagePolicy.FAIL_OPEN
                : OutagePolicy.FAIL_CLOSED)
        // The client key's limit (max-key-length, at most the absolute limit) is enforced when the
        // header is parsed; scope and operation only have to fit the absolute limit.
        .maxKeyLength(IdempotencyKey.ABSOLUTE_MAX_LENGTH)
        .maxStoredOutcomeBytes(properties.getMaxStoredResponseSize().toBytes())
        .build();
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
        IdempotencyProperties properties, ConfigurableListableBeanFactory beanFactory) {
      boolean security =
          ClassUtils.isPresent(
              "org.springframework.security.core.context.SecurityContextHolder",
              WebConfiguration.class.getClassLoader());
      return new DefaultIdempotencyScopeResolver(
          tenantResolver(beanFactory),
          security
              ? SecurityPrincipals::principal
              : DefaultIdempotencyScopeResolver::servletPrincipal,
          properties.isScopeByPrincipal(),
          security);
    }

    /**
     * The application's single {@link TenantResolver}, or null. Several beans are a start-up error
     * (unless exactly one is {@code @Primary}): scoping by an arbitrary one of them, or by none,
     * would let one tenant replay another tenant's responses.
     */
    static TenantResolver tenantResolver(ConfigurableListableBeanFactory beanFactory) {
      String[] names = beanFactory.getBeanNamesForType(TenantResolver.class);
      if (names.length == 0) {
        return null;
      }
      if (names.length == 1) {
        return beanFactory.getBean(names[0], TenantResolver.class);
      }
      List<String> primary = new ArrayList<>();
      for (String name : names) {
        if (beanFactory.containsBeanDefinition(name)
            && beanFactory.getBeanDefinition(name).isPrimary()) {
          primary.add(name);
        }
      }
      if (primary.size() == 1) {
        return beanFactory.getBean(primary.get(0), TenantResolver.class);
      }
      throw new IllegalStateException(
          "reliability4j idempotency found "
              + names.length
              + " TenantResolver beans "
              + Arrays.toString(names)
              + " and cannot tell which one scopes idempotency keys by tenant. Declare exactly"
              + " one TenantResolver (or mark one @Primary), or declare your own"
              + " IdempotencyScopeResolver bean.");
    }

    /**
     * One WARN at start-up when {@code @Idempotent} endpoints exist but nothing identifies the
     * caller: every client then shares one key space.
     */
    @Bean
    static SmartInitializingSingleton reliabilityIdempotencyScopeCheck(
        ObjectProvider<IdempotencyScopeResolver> scopeResolver, ListableBeanFactory beanFactory) {
      return () -> {
        if (scopeResolver.getIfAvailable() instanceof DefaultIdempotencyScopeResolver resolver
            && !resolver.identifiesCallers()
            && new IdempotentHandlerLookup(beanFactory).anyIdempotentHandler()) {
          log.warn(DefaultIdempotencyScopeResolver.SHARED_SCOPE_WARNING);
        }
      };
    }

    /**
     * Fails the start when an {@code @Idempotent} handler answers GET, HEAD or OPTIONS without
     * {@code allowSafeMethods} (see {@link IdempotentHandlerVerifier}).
     */
    @Bean
    static SmartInitializingSingleton reliabilityIdempotentHandlerCheck(
        ListableBeanFactory beanFactory) {
      return () -> IdempotentHandlerVerifier.verifyServlet(beanFactory);
    }

    @Bean
    @ConditionalOnMissingBean(name = "reliabilityIdempotencyFilter")
    FilterRegistrationBean<IdempotencyFilter> reliabilityIdempotencyFilter(
        ListableBeanFactory beanFactory,
        ObjectProvider<Idempotency> idempotency,
        IdempotencyProperties properties,
        IdempotencyScopeResolver scopeResolver) {
      IdempotencyFilter filter =
          new IdempotencyFilter(
              new IdempotentHandlerLookup(beanFactory),
              idempotency::getObject,
              properties,
              scopeResolver);
      FilterRegistrationBean<IdempotencyFilter> registration = new FilterRegistrationBean<>(filter);
      registration.setName("reliabilityIdempotencyFilter");
      registration.setOrder(FILTER_ORDER);
      return registration;
    }
  }

  /**
   * Reactive applications: the filter is servlet-only, so an {@code @Idempotent} bean fails the
   * start instead of running unprotected (see {@link IdempotentHandlerVerifier}).
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
  static class ReactiveConfiguration {

    @Bean
    static SmartInitializingSingleton reliabilityIdempotentReactiveCheck(
        ListableBeanFactory beanFactory) {
      return () -> IdempotentHandlerVerifier.verifyReactive(beanFactory);
    }
  }

  /**
   * Transactional mode: completes the key of an {@code @Transactional @Idempotent} handler in the
   * handler's own transaction (see {@link TransactionalCompletionInterceptor}). Active only with
   * the JDBC store over the application's single DataSource; {@code
   * reliability.idempotency.transactional=false} turns it off.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnClass(
      name = {
        "org.springframework.web.servlet.DispatcherServlet",
        "org.aopalliance.intercept.MethodInterceptor",
        "org.springframework.jdbc.datasource.DataSourceUtils",
        "org.springframework.transaction.support.TransactionSynchronizationManager"
      })
  @ConditionalOnProperty(
      prefix = "reliability.idempotency",
      name = "transactional",
      havingValue = "true",
      matchIfMissing = true)
  static class TransactionalConfiguration {

    private static final String TX_SPRING =
        "org.springframework.transaction.annotation.Transactional";
    private static final String TX_JAKARTA = "jakarta.transaction.Transactional";

    static boolean annotated(java.lang.reflect.Method m, Class<?> type, String annotation) {
      return AnnotatedElementUtils.hasAnnotation(m, annotationType(annotation))
          || AnnotatedElementUtils.hasAnnotation(type, annotationType(annotation));
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends java.lang.annotation.Annotation> annotationType(String name) {
      try {
        return (Class<? extends java.lang.annotation.Annotation>)
            ClassUtils.forName(name, TransactionalConfiguration.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        return MissingAnnotation.class;
      }
    }

    /** Stand-in for an annotation type that is not on the class path (never present). */
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    private @interface MissingAnnotation {}

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean(name = "reliabilityIdempotencyTransactionalAdvisor")
    static Advisor reliabilityIdempotencyTransactionalAdvisor(
        ObjectProvider<IdempotencyStore> store,
        ObjectProvider<DataSource> dataSources,
        ObjectProvider<IdempotencyProperties> properties,
        ObjectProvider<RequestMappingHandlerAdapter> adapters,
        ListableBeanFactory beanFactory) {
      // Only handlers that are @Idempotent AND transactional: those are proxied by the
      // transaction advisor anyway, so no other controller becomes a proxy because of this.
      Pointcut pointcut =
          new StaticMethodMatcherPointcut() {
            @Override
            public boolean matches(java.lang.reflect.Method method, Class<?> targetClass) {
              java.lang.reflect.Method m = AopUtils.getMostSpecificMethod(method, targetClass);
              return annotated(m, targetClass, Idempotent.class.getName())
                  && (annotated(m, targetClass, TX_SPRING)
                      || annotated(m, targetClass, TX_JAKARTA));
            }
          };
      TransactionalCompletionInterceptor interceptor =
          new TransactionalCompletionInterceptor(
              () -> store.getIfAvailable() instanceof JdbcIdempotencyStore jdbc ? jdbc : null,
              org.springframework.util.function.SingletonSupplier.of(
                  () -> storeDataSource(properties.getObject(), beanFactory, dataSources)),
              properties::getObject,
              () -> adapters.getObject().getMessageConverters());
      DefaultPointcutAdvisor advisor = new DefaultPointcutAdvisor(pointcut, interceptor);
      // Inside Spring's transaction advisor (also LOWEST_PRECEDENCE, registered earlier); the
      // interceptor checks at run time that a transaction is active and does nothing otherwise.
      advisor.setOrder(Ordered.LOWEST_PRECEDENCE);
      return advisor;
    }
  }
}
