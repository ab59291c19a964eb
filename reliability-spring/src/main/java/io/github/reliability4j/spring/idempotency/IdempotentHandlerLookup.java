package io.github.reliability4j.spring.idempotency;

import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;

/**
 * Finds the {@link Idempotent} handler method a request will be dispatched to, before the
 * dispatcher runs, by asking the application's {@link RequestMappingHandlerMapping}s — the same
 * lookup the {@code DispatcherServlet} performs next, so the filter and the dispatcher agree on the
 * handler. Every request attribute the lookup sets is restored afterwards.
 *
 * <p>The annotation of each handler method is resolved once and cached: the merged-annotation
 * search (method, then bean type) was the costliest part of a lookup, and every request to a mapped
 * handler, annotated or not, goes through it.
 */
class IdempotentHandlerLookup {

  /** A matched idempotent handler. */
  record Match(HandlerMethod handler, Idempotent annotation, String routeTemplate) {}

  private final ListableBeanFactory beanFactory;
  private volatile List<RequestMappingHandlerMapping> mappings;
  private volatile Boolean anyIdempotent;
  private final Map<HandlerKey, Optional<Idempotent>> annotations = new ConcurrentHashMap<>();

  /** A handler method as declared: the same method on another bean type may differ by its class. */
  private record HandlerKey(Method method, Class<?> beanType) {}

  IdempotentHandlerLookup(ListableBeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  private List<RequestMappingHandlerMapping> mappings() {
    List<RequestMappingHandlerMapping> m = mappings;
    if (m == null) {
      m = new ArrayList<>(beanFactory.getBeansOfType(RequestMappingHandlerMapping.class).values());
      mappings = m;
    }
    return m;
  }

  /** Whether any mapped handler method is annotated; when none is, the filter does nothing. */
  boolean anyIdempotentHandler() {
    Boolean any = anyIdempotent;
    if (any == null) {
      any = false;
      for (RequestMappingHandlerMapping m : mappings()) {
        for (HandlerMethod hm : m.getHandlerMethods().values()) {
          if (annotation(hm) != null) {
            any = true;
            break;
          }
        }
      }
      anyIdempotent = any;
    }
    return any;
  }

  static Idempotent annotation(HandlerMethod hm) {
    Idempotent a = AnnotatedElementUtils.findMergedAnnotation(hm.getMethod(), Idempotent.class);
    if (a == null) {
      a = AnnotatedElementUtils.findMergedAnnotation(hm.getBeanType(), Idempotent.class);
    }
    return a;
  }

  /** The idempotent handler for {@code request}, or {@code null}. */
  Match find(HttpServletRequest request) {
    Map<String, Object> saved = new HashMap<>();
    for (Enumeration<String> names = request.getAttributeNames(); names.hasMoreElements(); ) {
      String n = names.nextElement();
      saved.put(n, request.getAttribute(n));
    }
    try {
      ServletRequestPathUtils.parseAndCache(request);
      for (RequestMappingHandlerMapping m : mappings()) {
        HandlerExecutionChain chain;
        try {
          chain = m.getHandler(request);
        } catch (Exception noMatch) {
          // 405/406/415 and friends: the dispatcher will produce the error itself.
          return null;
        }
        if (chain == null) {
          continue;
        }
        if (!(chain.getHandler() instanceof HandlerMethod hm)) {
          return null;
        }
        Idempotent a =
            annotations
                .computeIfAbsent(
                    new HandlerKey(hm.getMethod(), hm.getBeanType()),
                    k -> Optional.ofNullable(annotation(hm)))
                .orElse(null);
        if (a == null) {
          return null;
        }
        Object pattern = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        return new Match(hm, a, pattern == null ? request.getRequestURI() : pattern.toString());
      }
      return null;
    } finally {
      for (String n : Collections.list(request.getAttributeNames())) {
        if (!saved.containsKey(n)) {
          request.removeAttribute(n);
        }
      }
      // Only what the lookup changed is set again (setAttribute notifies listeners, and most
      // attributes are untouched).
      saved.forEach(
          (n, v) -> {
            if (request.getAttribute(n) != v) {
              request.setAttribute(n, v);
            }
          });
    }
  }
}
