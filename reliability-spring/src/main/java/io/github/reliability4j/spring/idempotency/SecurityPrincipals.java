package io.github.reliability4j.spring.idempotency;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/** Spring Security lookup; only loaded when Spring Security is on the classpath. */
final class SecurityPrincipals {

  private SecurityPrincipals() {}

  static String principal(HttpServletRequest request) {
    Authentication auth = SecurityContextHolder.getContext().getAuthentication();
    if (auth == null || !auth.isAuthenticated() || auth instanceof AnonymousAuthenticationToken) {
      return DefaultIdempotencyScopeResolver.servletPrincipal(request);
    }
    return auth.getName();
  }
}
