package io.github.reliability4j.spring.idempotency;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Writes RFC 9457 {@code application/problem+json} bodies without depending on Jackson. */
final class ProblemDetails {

  static final String MEDIA_TYPE = "application/problem+json";

  private ProblemDetails() {}

  static void write(
      HttpServletResponse response, int status, String title, String detail, String instance)
      throws IOException {
    response.resetBuffer();
    response.setStatus(status);
    response.setContentType(MEDIA_TYPE);
    response.setCharacterEncoding("UTF-8");
    StringBuilder sb = new StringBuilder(128);
    sb.append("{\"type\":\"about:blank\",\"title\":");
    quote(sb, title);
    sb.append(",\"status\":").append(status);
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
