package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.RequestFingerprint;
import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.function.Function;

/**
 * Scope = tenant + principal, each length-prefixed so that no two different (tenant, principal)
 * pairs produce the same scope. Long scopes are replaced by their SHA-256 so they fit the key
 * limits.
 */
final class DefaultIdempotencyScopeResolver implements IdempotencyScopeResolver {

  static final String ANONYMOUS = "anonymous";
  private static final int MAX_PLAIN_LENGTH = 200;

  private final TenantResolver tenantResolver;
  private final Function<HttpServletRequest, String> principalResolver;
  private final boolean scopeByPrincipal;
  private final boolean securityPresent;

  static final String SHARED_SCOPE_WARNING =
      "reliability4j idempotency: @Idempotent endpoints exist but no caller identity scopes"
          + " their keys (no Spring Security on the class path or"
          + " reliability.idempotency.scope-by-principal=false, and no TenantResolver bean):"
          + " every client shares ONE key space, so a client that reuses another client's key"
          + " gets that client's stored response. Add Spring Security, a TenantResolver bean or"
          + " an IdempotencyScopeResolver bean.";

  DefaultIdempotencyScopeResolver(
      TenantResolver tenantResolver,
      Function<HttpServletRequest, String> principalResolver,
      boolean scopeByPrincipal,
      boolean securityPresent) {
    this.tenantResolver = tenantResolver;
    this.principalResolver = principalResolver;
    this.scopeByPrincipal = scopeByPrincipal;
    this.securityPresent = securityPresent;
  }

  /**
   * Whether anything but the container's own principal can tell callers apart: a tenant resolver,
   * or Spring Security's authentication while scoping by principal. Container authentication
   * without Spring Security is rare and is not counted, so the start-up check errs on the side of
   * warning.
   */
  boolean identifiesCallers() {
    return tenantResolver != null || (scopeByPrincipal && securityPresent);
  }

  @Override
  public String resolveScope(HttpServletRequest request) {
    String tenant = tenantResolver == null ? null : tenantResolver.resolveTenant(request);
    String principal = scopeByPrincipal ? principalResolver.apply(request) : null;
    StringBuilder sb = new StringBuilder();
    sb.append("t");
    append(sb, tenant);
    sb.append(";p");
    append(sb, principal == null ? ANONYMOUS : principal);
    String scope = sb.toString();
    if (scope.length() <= MAX_PLAIN_LENGTH && scope.chars().noneMatch(Character::isISOControl)) {
      return scope;
    }
    return "sha256:" + RequestFingerprint.sha256(scope).hex();
  }

  private static void append(StringBuilder sb, String value) {
    if (value == null) {
      sb.append('-');
    } else {
      sb.append(value.length()).append(':').append(value);
    }
  }

  /** {@link HttpServletRequest#getUserPrincipal()}; used when Spring Security is absent. */
  static String servletPrincipal(HttpServletRequest request) {
    Principal p = request.getUserPrincipal();
    return p == null ? null : p.getName();
  }
}
