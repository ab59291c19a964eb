package io.github.reliability4j.core.health.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;

/**
 * A minimal streaming JSON writer (RFC 8259) for health output: objects, arrays, strings, numbers,
 * booleans and null. Strings are escaped completely: quote, backslash, every control character
 * below U+0020, U+2028/U+2029 (legal JSON but line terminators in JavaScript), and unpaired
 * surrogates (written as {@code \\uXXXX} so the output stays valid UTF-8). Non-finite numbers have
 * no JSON form and are written as {@code null}. The writer does not check nesting; callers write
 * well-formed sequences. Not thread-safe. Not API.
 */
public final class JsonWriter {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final StringBuilder out;
  // true when the next value/name at the current level needs a preceding comma
  private boolean needComma;

  public JsonWriter() {
    this(new StringBuilder());
  }

  public JsonWriter(StringBuilder out) {
    this.out = out;
  }

  public JsonWriter beginObject() {
    separate();
    out.append('{');
    needComma = false;
    return this;
  }

  public JsonWriter endObject() {
    out.append('}');
    needComma = true;
    return this;
  }

  public JsonWriter beginArray() {
    separate();
    out.append('[');
    needComma = false;
    return this;
  }

  public JsonWriter endArray() {
    out.append(']');
    needComma = true;
    return this;
  }

  /** Writes an object member name; the next call writes its value. */
  public JsonWriter name(String name) {
    separate();
    string(name);
    out.append(':');
    needComma = false;
    return this;
  }

  /** Writes {@code value} as a string, number, boolean, null, map (object) or iterable (array). */
  public JsonWriter value(Object value) {
    if (value == null) {
      separate();
      out.append("null");
      needComma = true;
    } else if (value instanceof CharSequence) {
      separate();
      string(value.toString());
      needComma = true;
    } else if (value instanceof Boolean) {
      separate();
      out.append(value.toString());
      needComma = true;
    } else if (value instanceof Number) {
      separate();
      number((Number) value);
      needComma = true;
    } else if (value instanceof Map) {
      beginObject();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
        name(String.valueOf(e.getKey()));
        value(e.getValue());
      }
      endObject();
    } else if (value instanceof Iterable) {
      beginArray();
      for (Object o : (Iterable<?>) value) {
        value(o);
      }
      endArray();
    } else {
      value(value.toString());
    }
    return this;
  }

  /** Writes a member: {@code "name": value}, skipped when value is null. */
  public JsonWriter field(String name, Object value) {
    if (value != null) {
      name(name);
      value(value);
    }
    return this;
  }

  @Override
  public String toString() {
    return out.toString();
  }

  private void separate() {
    if (needComma) {
      out.append(',');
    }
  }

  private void number(Number n) {
    if (n instanceof Double || n instanceof Float) {
      double d = n.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        out.append("null");
      } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        out.append((long) d);
      } else {
        out.append(d);
      }
    } else if (n instanceof BigDecimal) {
      out.append(((BigDecimal) n).toString());
    } else if (n instanceof BigInteger
        || n instanceof Long
        || n instanceof Integer
        || n instanceof Short
        || n instanceof Byte) {
      out.append(n.toString());
    } else {
      double d = n.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        out.append("null");
      } else {
        out.append(d);
      }
    }
  }

  private void string(String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        default:
          if (c < 0x20 || c == '\u2028' || c == '\u2029' || c == 0x7f) {
            unicode(c);
          } else if (Character.isHighSurrogate(c)) {
            if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
              out.append(c).append(s.charAt(++i));
            } else {
              unicode(c);
            }
          } else if (Character.isLowSurrogate(c)) {
            unicode(c);
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }

  private void unicode(char c) {
    out.append("\\u")
        .append(HEX[(c >> 12) & 0xf])
        .append(HEX[(c >> 8) & 0xf])
        .append(HEX[(c >> 4) & 0xf])
        .append(HEX[c & 0xf]);
  }
}
