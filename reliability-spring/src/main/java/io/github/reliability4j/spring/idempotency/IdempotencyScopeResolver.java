package io.github.reliability4j.spring.idempotency;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Resolves who a request's idempotency key belongs to. Records are looked up by (scope, operation,
 * key), so two requests with different scopes never see each other's records.
 *
 * <p>The default resolver combines the {@link TenantResolver} (if any) with the authenticated
 * principal: Spring Security's {@code Authentication} when Spring Security is on the classpath
 * (anonymous authentication counts as no principal), else {@link
 * HttpServletRequest#getUserPrincipal()}. Declare a bean of this type to replace it.
 *
 * <p>Called on the request thread, once per request to an {@link Idempotent} endpoint that carries
 * a key; must be thread-safe. An exception thrown here fails the request (500) before the endpoint
 * runs and stores nothing.
 */
@FunctionalInterface
public interface IdempotencyScopeResolver {

  /**
   * Returns a non-empty, stable scope string for the request; requests that share a scope share
   * keys.
   */
  String resolveScope(HttpServletRequest request);
}
