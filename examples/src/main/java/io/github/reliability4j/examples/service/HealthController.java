package io.github.reliability4j.examples.service;

import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthJson;
import io.github.reliability4j.core.health.HealthResponse;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.RedactionLevel;
import java.time.Duration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code application/health+json} (draft-inadarei-api-health-check) for probes and people: {@code
 * GET /health/live}, {@code /health/ready}, {@code /health/deep}. Each answer is read from the
 * checker's last snapshot, so it returns at once even while a database hangs.
 */
@RestController
class HealthController {

  private final HealthChecker checker;
  private final HealthJson json =
      HealthJson.custom()
          .serviceId("reliability4j-demo")
          .cacheMaxAge(Duration.ofSeconds(1))
          .build();

  HealthController(HealthChecker checker) {
    this.checker = checker;
  }

  @GetMapping("/health/live")
  ResponseEntity<String> live() {
    return respond(ProbeKind.LIVENESS);
  }

  @GetMapping("/health/ready")
  ResponseEntity<String> ready() {
    return respond(ProbeKind.READINESS);
  }

  @GetMapping("/health/deep")
  ResponseEntity<String> deep() {
    return respond(ProbeKind.DEEP);
  }

  private ResponseEntity<String> respond(ProbeKind kind) {
    HealthResponse response = json.respond(checker.report(kind), RedactionLevel.FULL);
    return ResponseEntity.status(response.statusCode())
        .header(HttpHeaders.CONTENT_TYPE, response.contentType())
        .header(HttpHeaders.CACHE_CONTROL, response.cacheControl())
        .body(response.body());
  }
}
