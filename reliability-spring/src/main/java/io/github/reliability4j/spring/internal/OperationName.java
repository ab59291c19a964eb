package io.github.reliability4j.spring.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An idempotency operation name split for meters and observations. The web filter names an HTTP
 * operation {@code "POST /payments"} (method and route template); Spring's own HTTP meters tag
 * those as {@code method} and {@code uri}, so ours do too. Any other operation (a message listener,
 * plain Java) is {@link #NONE} for both, and keeps its name in {@link #operation()}. Not API.
 *
 * @param method the HTTP method, or {@code NONE}
 * @param uri the route template, or {@code NONE}
 * @param operation {@code http} for HTTP operations, else the operation's name
 */
public record OperationName(String method, String uri, String operation) {

  public static final String NONE = "NONE";

  private static final Pattern HTTP = Pattern.compile("([A-Z]+) (/\\S*)");

  public static OperationName of(String operation) {
    Matcher m = HTTP.matcher(operation == null ? "" : operation);
    if (m.matches()) {
      return new OperationName(m.group(1), m.group(2), "http");
    }
    return new OperationName(NONE, NONE, operation == null ? "none" : operation);
  }
}
