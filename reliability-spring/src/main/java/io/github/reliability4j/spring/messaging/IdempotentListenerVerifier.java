package io.github.reliability4j.spring.messaging;

import io.github.reliability4j.spring.InvalidReliabilityPropertyException;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;

/**
 * Checks every {@link IdempotentListener @IdempotentListener} method once all singletons exist, so
 * that a mistake fails start-up instead of the first message: each method must declare a raw
 * message parameter and valid settings, its bean must be proxied (else the annotation would do
 * nothing), and every name under {@code reliability.messaging.idempotency.listeners} must belong to
 * a listener.
 */
final class IdempotentListenerVerifier implements SmartInitializingSingleton {

  static final String LISTENERS_PROPERTY = "reliability.messaging.idempotency.listeners";

  private final ConfigurableListableBeanFactory beanFactory;
  private final ObjectProvider<MessagingProperties> properties;
  private final ObjectProvider<IdempotentListenerInterceptor> interceptor;

  IdempotentListenerVerifier(
      ConfigurableListableBeanFactory beanFactory,
      ObjectProvider<MessagingProperties> properties,
      ObjectProvider<IdempotentListenerInterceptor> interceptor) {
    this.beanFactory = beanFactory;
    this.properties = properties;
    this.interceptor = interceptor;
  }

  @Override
  public void afterSingletonsInstantiated() {
    Set<String> names = new TreeSet<>();
    IdempotentListenerInterceptor advice = interceptor.getObject();
    for (String beanName : beanFactory.getBeanDefinitionNames()) {
      BeanDefinition definition = beanFactory.getMergedBeanDefinition(beanName);
      if (definition.isAbstract() || !definition.isSingleton() || definition.isLazyInit()) {
        continue;
      }
      Class<?> type = beanFactory.getType(beanName, false);
      if (type == null) {
        continue;
      }
      Map<Method, IdempotentListener> methods =
          MethodIntrospector.selectMethods(
              ClassUtils.getUserClass(type),
              (MethodIntrospector.MetadataLookup<IdempotentListener>)
                  m -> AnnotatedElementUtils.findMergedAnnotation(m, IdempotentListener.class));
      if (methods.isEmpty()) {
        continue;
      }
      Object bean = beanFactory.getBean(beanName);
      if (!AopUtils.isAopProxy(bean) || !(bean instanceof Advised)) {
        throw new IllegalStateException(
            "Bean '"
                + beanName
                + "' has @IdempotentListener methods but is not proxied, so they would run without"
                + " deduplication; is an auto-proxy creator disabled, or the bean final?");
      }
      for (Method method : methods.keySet()) {
        // Resolves and validates the settings now (throws naming the method).
        advice.definition(method);
        names.add(IdempotentListenerInterceptor.nameOf(methods.get(method)));
      }
    }
    for (String configured : properties.getObject().getIdempotency().getListeners().keySet()) {
      if (!names.contains(configured)) {
        throw new InvalidReliabilityPropertyException(
            LISTENERS_PROPERTY + "." + configured,
            configured,
            "names no @IdempotentListener (known listeners: " + names + ")");
      }
    }
  }
}
