package io.github.reliability4j.core.health;

import java.util.Objects;

/**
 * A rendered health response, ready for any HTTP server.
 *
 * @param statusCode 200 for pass/warn, 503 for fail
 * @param contentType {@value HealthJson#MEDIA_TYPE}
 * @param cacheControl the {@code Cache-Control} header value, e.g. {@code max-age=5}, so probes
 *     cannot become a load source; null when not configured
 * @param body the health+json document
 */
public record HealthResponse(int statusCode, String contentType, String cacheControl, String body) {
  public HealthResponse {
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(body, "body");
  }
}
