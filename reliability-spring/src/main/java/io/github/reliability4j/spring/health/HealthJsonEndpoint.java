package io.github.reliability4j.spring.health;

import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthJson;
import io.github.reliability4j.core.health.HealthReport;
import io.github.reliability4j.core.health.HealthResponse;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.RedactionLevel;
import java.util.Locale;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;
import org.springframework.util.MimeType;

/**
 * {@code /actuator/healthcheck[/{kind}]}: the checker's report in {@code application/health+json}
 * (draft-inadarei-api-health-check), with {@code Cache-Control: max-age} semantics documented by
 * {@code reliability.health.endpoint.cache-max-age}. {@code kind} is {@code liveness}, {@code
 * readiness}, {@code startup} or {@code deep} (the default). HTTP 200 for pass/warn, 503 for fail.
 * Details: {@code reliability.health.endpoint.show-details} (never / when-authorized / always, as
 * Actuator's). Expose it with {@code management.endpoints.web.exposure.include=health,healthcheck}.
 * Reads the last snapshot: a request never runs a probe.
 */
@WebEndpoint(id = "healthcheck")
public class HealthJsonEndpoint {

  private static final MimeType HEALTH_JSON = MimeType.valueOf(HealthJson.MEDIA_TYPE);

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
      return new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
    }
    return respond(k, securityContext);
  }

  private WebEndpointResponse<String> respond(ProbeKind kind, SecurityContext securityContext) {
    HealthReport report = checker.report(kind);
    HealthResponse response = json.respond(report, level(securityContext));
    return new WebEndpointResponse<>(response.body(), response.statusCode(), HEALTH_JSON);
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
