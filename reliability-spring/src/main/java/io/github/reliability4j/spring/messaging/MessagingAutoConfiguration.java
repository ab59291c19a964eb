package io.github.reliability4j.spring.messaging;

import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.spring.InvalidReliabilityPropertyException;
import io.github.reliability4j.spring.idempotency.IdempotencyAutoConfiguration;
import io.github.reliability4j.spring.idempotency.IdempotencyProperties;
import io.github.reliability4j.spring.internal.PropertyChecks;
import javax.sql.DataSource;
import org.aopalliance.intercept.MethodInterceptor;
import org.springframework.aop.Advisor;
import org.springframework.aop.config.AopConfigUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.ConfigurationCondition;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.Role;
import org.springframework.core.Ordered;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.kafka.listener.DefaultErrorHandler;

/**
 * Auto-configuration for {@link IdempotentListener @IdempotentListener} methods, active when Spring
 * Kafka or Spring AMQP is on the class path and the idempotency engine is configured ({@code
 * reliability.messaging.idempotency.enabled=false} turns it off).
 *
 * <p>Beans (each replaceable): {@link IdempotentListenerInterceptor} {@code
 * reliabilityIdempotentListenerInterceptor} (the JDBC store's DataSource for the transactional
 * inbox, Micrometer counters if a {@code MeterRegistry} exists); the advisor applying it to
 * annotated methods (inside {@code @Transactional}); a start-up check that fails naming the
 * offending method or property (an annotated method without a raw message parameter or not proxied,
 * a configured listener name without a listener); and, with Spring Kafka, a post-processor that
 * registers {@link MessageRejectedException} as not retryable on every {@code DefaultErrorHandler}
 * bean so that it goes to the dead-letter recoverer at once.
 */
@AutoConfiguration(after = IdempotencyAutoConfiguration.class)
@Conditional(MessagingAutoConfiguration.OnListenerFramework.class)
@ConditionalOnClass(
    name = {
      "org.aopalliance.intercept.MethodInterceptor",
      "org.springframework.aop.support.DefaultPointcutAdvisor"
    })
@ConditionalOnProperty(
    prefix = "reliability.messaging.idempotency",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
@ConditionalOnBean(Idempotency.class)
@EnableConfigurationProperties(MessagingProperties.class)
@Import(MessagingAutoConfiguration.AutoProxyRegistrar.class)
public class MessagingAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  IdempotentListenerInterceptor reliabilityIdempotentListenerInterceptor(
      Idempotency idempotency,
      ObjectProvider<IdempotencyStore> store,
      ObjectProvider<DataSource> dataSources,
      ObjectProvider<IdempotencyProperties> idempotencyProperties,
      MessagingProperties properties,
      ConfigurableListableBeanFactory beanFactory) {
    validate(properties.getIdempotency());
    IdempotentListenerInterceptor.Builder builder =
        IdempotentListenerInterceptor.builder(idempotency)
            .settings(properties.getIdempotency())
            .beanFactory(beanFactory);
    IdempotencyProperties engine = idempotencyProperties.getIfAvailable();
    if (engine != null) {
      builder
          .baseConfig(IdempotencyAutoConfiguration.engineDefaults(engine))
          .waitTimeout(engine.getWaitTimeout());
    }
    DataSource dataSource = dataSources.getIfUnique();
    if (store.getIfAvailable() instanceof JdbcIdempotencyStore jdbc && dataSource != null) {
      builder.transactionalStore(jdbc, dataSource);
    }
    if (MICROMETER) {
      Object registry =
          beanFactory
              .getBeanProvider(io.micrometer.core.instrument.MeterRegistry.class)
              .getIfUnique();
      if (registry != null) {
        builder.meterRegistry((io.micrometer.core.instrument.MeterRegistry) registry);
      }
    }
    return builder.build();
  }

  /**
   * Checks the listener settings, global and per listener, with one rule each: what the core config
   * owns (key length, wait) by its builder, so a property accepts exactly what the Java API does.
   * The listener names are checked once the listeners exist ({@link IdempotentListenerVerifier}).
   */
  static void validate(MessagingProperties.Idempotency settings) {
    String prefix = "reliability.messaging.idempotency.";
    PropertyChecks.apply(
        prefix + "max-key-length",
        settings.getMaxKeyLength(),
        IdempotencyConfig.custom()::maxKeyLength);
    checkKeyHeader(prefix + "key-header", settings.getKeyHeader());
    settings
        .getListeners()
        .forEach(
            (name, listener) -> {
              String property = IdempotentListenerVerifier.LISTENERS_PROPERTY + "." + name + ".";
              if (listener.getKeyHeader() != null) {
                checkKeyHeader(property + "key-header", listener.getKeyHeader());
              }
              // Zero is "answer at once" (REJECT), as for reliability.idempotency.wait-timeout.
              if (listener.getWaitTimeout() != null && !listener.getWaitTimeout().isZero()) {
                PropertyChecks.apply(
                    property + "wait-timeout",
                    listener.getWaitTimeout(),
                    IdempotencyConfig.custom()::waitTimeout);
              }
            });
  }

  private static void checkKeyHeader(String property, String header) {
    if (header == null || header.isBlank()) {
      throw new InvalidReliabilityPropertyException(property, header, "must not be blank");
    }
  }

  private static final boolean MICROMETER =
      org.springframework.util.ClassUtils.isPresent(
          "io.micrometer.core.instrument.MeterRegistry",
          MessagingAutoConfiguration.class.getClassLoader());

  /**
   * Applies the interceptor to {@code @IdempotentListener} methods, ordered like the transactional
   * completion of {@code @Idempotent} handlers: inside Spring's transaction advisor.
   */
  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  @ConditionalOnMissingBean(name = "reliabilityIdempotentListenerAdvisor")
  static Advisor reliabilityIdempotentListenerAdvisor(
      ObjectProvider<IdempotentListenerInterceptor> interceptor) {
    // Resolved at the first message: the advisor is created before the beans it needs.
    MethodInterceptor lazy = invocation -> interceptor.getObject().invoke(invocation);
    DefaultPointcutAdvisor advisor =
        new DefaultPointcutAdvisor(
            AnnotationMatchingPointcut.forMethodAnnotation(IdempotentListener.class), lazy);
    advisor.setOrder(Ordered.LOWEST_PRECEDENCE);
    return advisor;
  }

  @Bean
  static IdempotentListenerVerifier reliabilityIdempotentListenerVerifier(
      ConfigurableListableBeanFactory beanFactory,
      ObjectProvider<MessagingProperties> properties,
      ObjectProvider<IdempotentListenerInterceptor> interceptor) {
    return new IdempotentListenerVerifier(beanFactory, properties, interceptor);
  }

  /** Mismatches, bad keys and poison go to the dead-letter recoverer without retries. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.kafka.listener.DefaultErrorHandler")
  static class KafkaConfiguration {

    @Bean
    static BeanPostProcessor reliabilityKafkaErrorHandlerPostProcessor() {
      return new BeanPostProcessor() {
        @Override
        public Object postProcessAfterInitialization(Object bean, String beanName) {
          if (bean instanceof DefaultErrorHandler handler) {
            handler.addNotRetryableExceptions(MessageRejectedException.class);
          }
          return bean;
        }
      };
    }
  }

  /** Makes sure an auto-proxy creator exists, also without {@code @EnableTransactionManagement}. */
  static class AutoProxyRegistrar implements ImportBeanDefinitionRegistrar {
    @Override
    public void registerBeanDefinitions(
        AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
      AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
    }
  }

  /** Spring Kafka or Spring AMQP listener support is present. */
  static class OnListenerFramework extends AnyNestedCondition {
    OnListenerFramework() {
      super(ConfigurationCondition.ConfigurationPhase.PARSE_CONFIGURATION);
    }

    @ConditionalOnClass(name = "org.springframework.kafka.annotation.KafkaListener")
    static class Kafka {}

    @ConditionalOnClass(name = "org.springframework.amqp.rabbit.annotation.RabbitListener")
    static class Amqp {}
  }
}
