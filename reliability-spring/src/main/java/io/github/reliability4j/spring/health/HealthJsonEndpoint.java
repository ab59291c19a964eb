package io.github.reliability4j.spring.health;

import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthJson;
import io.github.reliability4j.core.health.HealthReport;
import io.github.reliability4j.core.health.HealthResponse;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.RedactionLevel;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Locale;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;
import org.springframework.util.ClassUtils;
import org.springframework.util.MimeType;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * {@code /actuator/healthcheck[/{kind}]}: the checker's report in {@code application/health+json}
 * (draft-inadarei-api-health-check). {@code kind} is {@code liveness}, {@code readiness}, {@code
 * startup} or {@code deep} (the default). HTTP 200 for pass/warn, 503 for fail. Details: {@code
 * reliability.health.endpoint.show-details} (never / when-authorized / always, as Actuator's).
 * Expose it with {@code management.endpoints.web.exposure.include=health,healthcheck}. Reads the
 * last snapshot: a request never runs a probe.
 *
 * <p>Caching, as {@link HealthJson} renders it: a 200 response carries {@code Cache-Control:
 * max-age=N, must-revalidate}, N being {@code reliability.health.endpoint.cache-max-age} in whole
 * seconds rounded down (default 1 s), so a cache may answer frequent probes but never serve a stale
 * answer; a 503 response, a 404 for an unknown kind, and every response when the property is zero
 * (or under a second) carry {@code Cache-Control: no-store}.
 *
 * <p>Actuator's {@code WebEndpointResponse} has no headers, so the header is set on the servlet
 * response of the current request (Spring MVC). On a non-servlet stack (WebFlux) it is not sent.
 * Actuator's own response cache ({@code management.endpoint.healthcheck.cache.time-to-live})
 * answers without calling this endpoint and therefore without the header; leave it unset, reading
 * the snapshot is cheap.
 */
@WebEndpoint(id = "healthcheck")
public class HealthJsonEndpoint {

  private static final MimeType HEALTH_JSON = MimeType.valueOf(HealthJson.MEDIA_TYPE);
  private static final String CACHE_CONTROL = "Cache-Control";
  private static final boolean SERVLET =
      ClassUtils.isPresent(
              "jakarta.servlet.http.HttpServletResponse", HealthJsonEndpoint.class.getClassLoader())
          && ClassUtils.isPresent(
              "org.springframework.web.context.request.ServletRequestAttributes",
              HealthJsonEndpoint.class.getClassLoader());

  private final HealthChecker checker;
  private final HealthJson json;
  private final HealthProperties.Endpoint settings;

  public HealthJsonEndpoint(HealthChecker checker, HealthProperties properties) {
    this.checker = checker;
    this.settings = properties.getEndpoint();
    HealthJson.Builder b = HealthJson.custom().cacheMaxAge(settings.getCacheMaxAge());
    if (settings.getServiceId() != null) {
      b.serviceId(settings.getServiceId());
    }
    this.json = b.build();
  }

  @ReadOperation(produces = HealthJson.MEDIA_TYPE)
  public WebEndpointResponse<String> health(SecurityContext securityContext) {
    return respond(ProbeKind.DEEP, securityContext);
  }

  @ReadOperation(produces = HealthJson.MEDIA_TYPE)
  public WebEndpointResponse<String> health(
      SecurityContext securityContext, @Selector String kind) {
    ProbeKind k;
    try {
      k = ProbeKind.valueOf(kind.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      setHeader(CACHE_CONTROL, HealthJson.NO_STORE);
      return new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
    }
    return respond(k, securityContext);
  }

  private WebEndpointResponse<String> respond(ProbeKind kind, SecurityContext securityContext) {
    HealthReport report = checker.report(kind);
    HealthResponse response = json.respond(report, level(securityContext));
    setHeader(CACHE_CONTROL, response.cacheControl());
    return new WebEndpointResponse<>(response.body(), response.statusCode(), HEALTH_JSON);
  }

  private static void setHeader(String name, String value) {
    if (SERVLET) {
      ServletHeaders.set(name, value);
    }
  }

  /** Kept apart so that the Servlet API is loaded only when it is on the class path. */
  private static final class ServletHeaders {
    static void set(String name, String value) {
      RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
      if (attributes instanceof ServletRequestAttributes servlet) {
        HttpServletResponse response = servlet.getResponse();
        if (response != null) {
          // Set, not added: it replaces any default so that the response says exactly this.
          response.setHeader(name, value);
        }
      }
    }
  }

  private RedactionLevel level(SecurityContext sc) {
    return switch (settings.getShowDetails()) {
      case ALWAYS -> RedactionLevel.FULL;
      case NEVER -> RedactionLevel.STATUS_ONLY;
      case WHEN_AUTHORIZED -> {
        if (sc == null || sc.getPrincipal() == null) {
          yield RedactionLevel.STATUS_ONLY;
        }
        if (settings.getRoles().isEmpty()
            || settings.getRoles().stream().anyMatch(sc::isUserInRole)) {
          yield RedactionLevel.FULL;
        }
        yield RedactionLevel.STATUS_ONLY;
      }
    };
  }
}
