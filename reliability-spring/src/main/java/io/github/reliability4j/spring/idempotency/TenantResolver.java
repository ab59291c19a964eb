package io.github.reliability4j.spring.idempotency;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Resolves the tenant of a request so idempotency keys are scoped per tenant as well as per
 * principal. Declare a bean of this type to activate it (none by default). Return {@code null} for
 * "no tenant". Called on the request thread; must be thread-safe.
 */
@FunctionalInterface
public interface TenantResolver {

  /** The request's tenant id, or {@code null}. */
  String resolveTenant(HttpServletRequest request);
}
