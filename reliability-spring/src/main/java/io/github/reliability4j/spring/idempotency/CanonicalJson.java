package io.github.reliability4j.spring.idempotency;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Canonical form of a JSON document for request fingerprints, so that a client re-serialising the
 * same JSON gets the same fingerprint:
 *
 * <ul>
 *   <li>insignificant whitespace is dropped;
 *   <li>object members are sorted by name (by UTF-16 code units, a stable sort: members with the
 *       same name keep their order, because "last one wins" parsers read {@code {"a":1,"a":2}}
 *       differently from {@code {"a":2,"a":1}});
 *   <li>strings are compared by their decoded value ({@code "\u0041"} equals {@code "A"}) and
 *       written back with the minimal escapes;
 *   <li>numbers keep their exact lexeme: {@code 1}, {@code 1.0} and {@code 1e0} stay different, as
 *       a server may treat them differently; {@code true}, {@code false}, {@code null} as is;
 *   <li>array order is significant.
 * </ul>
 *
 * Not valid JSON (or nested deeper than {@value #MAX_DEPTH}): {@link #canonicalize} returns {@code
 * null} and the caller fingerprints the raw bytes.
 */
final class CanonicalJson {

  static final int MAX_DEPTH = 512;

  private final String in;
  private int pos;

  private CanonicalJson(String in) {
    this.in = in;
  }

  /**
   * The canonical UTF-8 bytes of {@code body} decoded with {@code charset} (strictly: a malformed
   * byte sequence is not JSON), or {@code null} if it is not valid JSON.
   */
  static byte[] canonicalize(byte[] body, Charset charset) {
    String json;
    try {
      json =
          charset
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(body))
              .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    return canonicalize(json);
  }

  /** The canonical UTF-8 bytes of {@code json}, or {@code null} if it is not valid JSON. */
  static byte[] canonicalize(String json) {
    CanonicalJson p = new CanonicalJson(json);
    StringBuilder out = new StringBuilder(json.length());
    try {
      p.skipWhitespace();
      p.value(out, 0);
      p.skipWhitespace();
      if (p.pos != json.length()) {
        return null;
      }
    } catch (IllegalArgumentException | IndexOutOfBoundsException invalid) {
      return null;
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private void value(StringBuilder out, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException("too deep");
    }
    char c = in.charAt(pos);
    switch (c) {
      case '{' -> object(out, depth);
      case '[' -> array(out, depth);
      case '"' -> writeString(out, string());
      case 't' -> literal(out, "true");
      case 'f' -> literal(out, "false");
      case 'n' -> literal(out, "null");
      default -> number(out);
    }
  }

  private void object(StringBuilder out, int depth) {
    pos++;
    List<String[]> members = new ArrayList<>();
    skipWhitespace();
    if (in.charAt(pos) == '}') {
      pos++;
    } else {
      while (true) {
        skipWhitespace();
        expect('"');
        pos--;
        String name = string();
        skipWhitespace();
        expect(':');
        skipWhitespace();
        StringBuilder v = new StringBuilder();
        value(v, depth + 1);
        members.add(new String[] {name, v.toString()});
        skipWhitespace();
        if (in.charAt(pos) == ',') {
          pos++;
          continue;
        }
        expect('}');
        break;
      }
    }
    members.sort((a, b) -> a[0].compareTo(b[0])); // List.sort is stable
    out.append('{');
    for (int i = 0; i < members.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      writeString(out, members.get(i)[0]);
      out.append(':').append(members.get(i)[1]);
    }
    out.append('}');
  }

  private void array(StringBuilder out, int depth) {
    pos++;
    out.append('[');
    skipWhitespace();
    if (in.charAt(pos) == ']') {
      pos++;
      out.append(']');
      return;
    }
    while (true) {
      skipWhitespace();
      value(out, depth + 1);
      skipWhitespace();
      if (in.charAt(pos) == ',') {
        pos++;
        out.append(',');
        continue;
      }
      expect(']');
      out.append(']');
      return;
    }
  }

  private String string() {
    expect('"');
    StringBuilder s = new StringBuilder();
    while (true) {
      char c = in.charAt(pos++);
      if (c == '"') {
        return s.toString();
      }
      if (c < 0x20) {
        throw new IllegalArgumentException("control character in string");
      }
      if (c != '\\') {
        s.append(c);
        continue;
      }
      char e = in.charAt(pos++);
      switch (e) {
        case '"', '\\', '/' -> s.append(e);
        case 'b' -> s.append('\b');
        case 'f' -> s.append('\f');
        case 'n' -> s.append('\n');
        case 'r' -> s.append('\r');
        case 't' -> s.append('\t');
        case 'u' -> {
          int code = 0;
          for (int i = 0; i < 4; i++) {
            int d = Character.digit(in.charAt(pos++), 16);
            if (d < 0) {
              throw new IllegalArgumentException("bad \\u escape");
            }
            code = code * 16 + d;
          }
          s.append((char) code);
        }
        default -> throw new IllegalArgumentException("bad escape");
      }
    }
  }

  private static void writeString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private void literal(StringBuilder out, String word) {
    if (!in.startsWith(word, pos)) {
      throw new IllegalArgumentException("bad literal");
    }
    pos += word.length();
    out.append(word);
  }

  private void number(StringBuilder out) {
    int start = pos;
    if (in.charAt(pos) == '-') {
      pos++;
    }
    if (in.charAt(pos) == '0') {
      pos++;
    } else {
      digits();
    }
    if (pos < in.length() && in.charAt(pos) == '.') {
      pos++;
      digits();
    }
    if (pos < in.length() && (in.charAt(pos) == 'e' || in.charAt(pos) == 'E')) {
      pos++;
      if (in.charAt(pos) == '+' || in.charAt(pos) == '-') {
        pos++;
      }
      digits();
    }
    out.append(in, start, pos);
  }

  private void digits() {
    int start = pos;
    while (pos < in.length() && in.charAt(pos) >= '0' && in.charAt(pos) <= '9') {
      pos++;
    }
    if (pos == start) {
      throw new IllegalArgumentException("digit expected");
    }
  }

  private void expect(char c) {
    if (in.charAt(pos++) != c) {
      throw new IllegalArgumentException("'" + c + "' expected");
    }
  }

  private void skipWhitespace() {
    while (pos < in.length()) {
      char c = in.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }
}
