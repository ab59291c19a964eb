package io.github.reliability4j.spring.idempotency;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Writes RFC 9457 {@code application/problem+json} bodies of an {@link IdempotencyProblem} without
 * depending on Jackson.
 */
final class ProblemDetails {

  static final String MEDIA_TYPE = "application/problem+json";

  private ProblemDetails() {}

  static void write(
      HttpServletResponse response, IdempotencyProblem problem, String detail, String instance)
      throws IOException {
    response.resetBuffer();
    response.setStatus(problem.status());
    response.setContentType(MEDIA_TYPE);
    response.setCharacterEncoding("UTF-8");
    StringBuilder sb = new StringBuilder(160);
    sb.append("{\"type\":");
    quote(sb, problem.type().toString());
    sb.append(",\"title\":");
    quote(sb, problem.title());
    sb.append(",\"status\":").append(problem.status());
    sb.append(",\"detail\":");
    quote(sb, detail);
    if (instance != null) {
      sb.append(",\"instance\":");
      quote(sb, instance);
    }
    sb.append('}');
    byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
    response.flushBuffer();
  }

  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
