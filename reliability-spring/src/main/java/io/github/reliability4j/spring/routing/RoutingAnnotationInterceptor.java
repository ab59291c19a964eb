package io.github.reliability4j.spring.routing;

import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.RoutingOptions;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.annotation.AnnotatedElementUtils;

/** Opens a {@link Consistency#options} scope around methods annotated for routing. */
final class RoutingAnnotationInterceptor implements MethodInterceptor {

  private final Map<Method, RoutingOptions> cache = new ConcurrentHashMap<>();

  @Override
  public Object invoke(MethodInvocation invocation) throws Throwable {
    Class<?> target =
        invocation.getThis() == null
            ? invocation.getMethod().getDeclaringClass()
            : AopUtils.getTargetClass(invocation.getThis());
    Method method = AopUtils.getMostSpecificMethod(invocation.getMethod(), target);
    RoutingOptions options = cache.computeIfAbsent(method, m -> options(m, target));
    try (Consistency.Scope scope = Consistency.options(options)) {
      return invocation.proceed();
    }
  }

  static RoutingOptions options(Method method, Class<?> target) {
    ReadConsistency rc = AnnotatedElementUtils.findMergedAnnotation(method, ReadConsistency.class);
    if (rc == null) {
      rc = AnnotatedElementUtils.findMergedAnnotation(target, ReadConsistency.class);
    }
    ReadFrom rf = AnnotatedElementUtils.findMergedAnnotation(method, ReadFrom.class);
    if (rf == null) {
      rf = AnnotatedElementUtils.findMergedAnnotation(target, ReadFrom.class);
    }
    RoutingOptions.Builder b = RoutingOptions.custom();
    if (rc != null) {
      b.consistency(level(rc, method));
    }
    if (rf != null) {
      b.readPreference(rf.value());
    }
    return b.build();
  }

  static ConsistencyLevel level(ReadConsistency rc, Method method) {
    return switch (rc.value()) {
      case STRONG -> ConsistencyLevel.STRONG;
      case READ_YOUR_WRITES -> ConsistencyLevel.READ_YOUR_WRITES;
      case ANY -> ConsistencyLevel.ANY;
      case BOUNDED_STALENESS -> {
        if (rc.maxStaleness().isBlank()) {
          throw new IllegalStateException(
              "@ReadConsistency(BOUNDED_STALENESS) on "
                  + method
                  + " needs maxStaleness, e.g. maxStaleness = \"2s\"");
        }
        yield ConsistencyLevel.boundedStaleness(DurationStyle.detectAndParse(rc.maxStaleness()));
      }
    };
  }
}
