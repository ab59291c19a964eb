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

  DefaultIdempotencyScopeResolver(
      TenantResolver tenantResolver,
      Function<HttpServletRequest, String> principalResolver,
      boolean scopeByPrincipal) {
    this.tenantResolver = tenantResolver;
    this.principalResolver = principalResolver;
    this.scopeByPrincipal = scopeByPrincipal;
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
