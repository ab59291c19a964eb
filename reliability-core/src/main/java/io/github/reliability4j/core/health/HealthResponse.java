package io.github.reliability4j.core.health;

import java.util.Objects;

/**
 * A rendered health response, ready for any HTTP server.
 *
 * @param statusCode 200 for pass/warn, 503 for fail
 * @param contentType {@value HealthJson#MEDIA_TYPE}
 * @param cacheControl the {@code Cache-Control} header value: {@code max-age=N, must-revalidate}
 *     for a 200 response when a cache max-age of at least a second is configured, so probes cannot
 *     become a load source; {@code no-store} otherwise, always for 503 (see {@link HealthJson})
 * @param body the health+json document
 */
public record HealthResponse(int statusCode, String contentType, String cacheControl, String body) {
  public HealthResponse {
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(body, "body");
  }
}
