package io.github.reliability4j.spring.idempotency;

/**
 * Parses an {@code Idempotency-Key} header value.
 *
 * <p>Accepted forms: an RFC 8941 structured-field String ({@code "..."} with printable ASCII and
 * only {@code \"} and {@code \\} escapes), as the draft specifies; and, because many clients send
 * it unquoted, a bare token of letters, digits and {@code -._~:+/=@}. Leading and trailing spaces
 * are ignored. Anything else is malformed.
 */
final class IdempotencyKeyHeader {

  private IdempotencyKeyHeader() {}

  /** Outcome of parsing; exactly one of {@code key} and {@code error} is non-null. */
  record Parsed(String key, String error) {}

  static Parsed parse(String raw, int maxLength) {
    String v = raw.strip();
    if (v.isEmpty()) {
      return new Parsed(null, "the key is empty");
    }
    String key;
    if (v.charAt(0) == '"') {
      StringBuilder sb = new StringBuilder(v.length());
      int i = 1;
      boolean closed = false;
      while (i < v.length()) {
        char c = v.charAt(i);
        if (c == '\\') {
          if (i + 1 >= v.length()) {
            return new Parsed(null, "the quoted key ends inside an escape");
          }
          char n = v.charAt(i + 1);
          if (n != '"' && n != '\\') {
            return new Parsed(null, "the quoted key contains an invalid escape '\\" + n + "'");
          }
          sb.append(n);
          i += 2;
          continue;
        }
        if (c == '"') {
          closed = true;
          i++;
          break;
        }
        if (c < 0x20 || c > 0x7e) {
          return new Parsed(null, "the key contains a character outside printable ASCII");
        }
        sb.append(c);
        i++;
      }
      if (!closed) {
        return new Parsed(null, "the quoted key has no closing quote");
      }
      if (i != v.length()) {
        return new Parsed(
            null, "the header has content after the quoted key (parameters are not accepted)");
      }
      key = sb.toString();
      if (key.isEmpty()) {
        return new Parsed(null, "the key is empty");
      }
    } else {
      for (int i = 0; i < v.length(); i++) {
        char c = v.charAt(i);
        boolean ok =
            (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || "-._~:+/=@".indexOf(c) >= 0;
        if (!ok) {
          return new Parsed(
              null,
              "the unquoted key contains '"
                  + (c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c))
                  + "'; quote it as a structured-field string");
        }
      }
      key = v;
    }
    if (key.length() > maxLength) {
      return new Parsed(
          null, "the key has " + key.length() + " characters, more than the allowed " + maxLength);
    }
    return new Parsed(key, null);
  }
}
