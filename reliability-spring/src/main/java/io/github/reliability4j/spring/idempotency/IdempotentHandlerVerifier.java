package io.github.reliability4j.spring.idempotency;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Start-up checks that every {@link Idempotent @Idempotent} annotation takes effect as written (run
 * once all singletons exist, so every handler mapping is complete):
 *
 * <ul>
 *   <li>Spring MVC: a handler reachable by a safe method ({@code GET}, {@code HEAD}, {@code
 *       OPTIONS}, including a mapping without a method, which accepts all of them) fails the start
 *       unless {@link Idempotent#allowSafeMethods()} — a safe request with a key would otherwise be
 *       replayed for the whole retention period.
 *   <li>Reactive (WebFlux) applications: any bean method or type carrying the annotation fails the
 *       start, because the idempotency filter is servlet-only and would never run.
 * </ul>
 *
 * Each failure is an {@link InvalidIdempotentHandlerException} naming the handler.
 */
final class IdempotentHandlerVerifier {

  private static final Set<RequestMethod> SAFE =
      EnumSet.of(RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS);

  private IdempotentHandlerVerifier() {}

  /** Checks the handlers of every Spring MVC {@link RequestMappingHandlerMapping}. */
  static void verifyServlet(ListableBeanFactory beanFactory) {
    for (RequestMappingHandlerMapping mapping :
        beanFactory.getBeansOfType(RequestMappingHandlerMapping.class).values()) {
      for (Map.Entry<RequestMappingInfo, HandlerMethod> e :
          mapping.getHandlerMethods().entrySet()) {
        Idempotent annotation = IdempotentHandlerLookup.annotation(e.getValue());
        if (annotation == null || annotation.allowSafeMethods()) {
          continue;
        }
        Set<RequestMethod> methods = e.getKey().getMethodsCondition().getMethods();
        Set<RequestMethod> safe = EnumSet.copyOf(SAFE);
        if (!methods.isEmpty()) {
          safe.retainAll(methods);
        }
        if (!safe.isEmpty()) {
          String handler = describe(e.getValue().getMethod());
          throw new InvalidIdempotentHandlerException(
              handler,
              "@Idempotent handler "
                  + handler
                  + " "
                  + (methods.isEmpty()
                      ? "is mapped without a method, so it also answers GET, HEAD and OPTIONS"
                      : "answers "
                          + safe.stream().map(Enum::name).collect(Collectors.joining(", ")))
                  + " ("
                  + e.getKey()
                  + "): a safe request with an Idempotency-Key would be replayed for the whole"
                  + " retention period instead of reading fresh data. Map it to POST, PUT, PATCH"
                  + " or DELETE only, or set @Idempotent(allowSafeMethods = true) if replaying"
                  + " safe requests is intended.");
        }
      }
    }
  }

  /** Fails if any bean of a reactive application carries {@code @Idempotent}. */
  static void verifyReactive(ListableBeanFactory beanFactory) {
    Set<String> seen = new TreeSet<>();
    for (String name : beanFactory.getBeanDefinitionNames()) {
      Class<?> type = beanFactory.getType(name, false);
      if (type == null) {
        continue;
      }
      Class<?> user = ClassUtils.getUserClass(type);
      if (!seen.add(user.getName())) {
        continue;
      }
      String handler = null;
      if (AnnotatedElementUtils.hasAnnotation(user, Idempotent.class)) {
        handler = user.getName();
      } else {
        for (Method m : ReflectionUtils.getUniqueDeclaredMethods(user)) {
          if (AnnotatedElementUtils.hasAnnotation(m, Idempotent.class)) {
            handler = describe(m);
            break;
          }
        }
      }
      if (handler != null) {
        throw new InvalidIdempotentHandlerException(
            handler,
            "@Idempotent on "
                + handler
                + " has no effect in a reactive (WebFlux) application: reliability4j's"
                + " idempotency filter runs on Spring MVC (servlet) only, so requests would run"
                + " unprotected. Serve this endpoint with Spring MVC, or guard it in code with"
                + " Idempotency.execute(...), and remove the annotation (or set"
                + " reliability.idempotency.enabled=false).");
      }
    }
  }

  static String describe(Method m) {
    return m.getDeclaringClass().getName()
        + "#"
        + m.getName()
        + Arrays.stream(m.getParameterTypes())
            .map(Class::getSimpleName)
            .collect(Collectors.joining(", ", "(", ")"));
  }
}
