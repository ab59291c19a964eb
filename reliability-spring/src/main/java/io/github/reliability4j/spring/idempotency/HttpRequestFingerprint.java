package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.internal.Sha256;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * SHA-256 fingerprint of the parts of a request that define "the same request": method, route
 * template, concrete path, canonical query and body. The query is canonical: parameters are
 * percent-decoded and sorted by name, then value, so {@code ?b=2&a=1} equals {@code ?a=1&b=2} but
 * {@code ?a=1&a=2} differs from {@code ?a=1}.
 */
final class HttpRequestFingerprint {

  private HttpRequestFingerprint() {}

  static String of(String method, String template, String path, String query, byte[] body) {
    MessageDigest md = Sha256.newDigest();
    field(md, method);
    field(md, template);
    field(md, path);
    field(md, canonicalQuery(query));
    md.update(body);
    return HexFormat.of().formatHex(md.digest());
  }

  private static void field(MessageDigest md, String s) {
    byte[] b = (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
    // Length-prefixed so that no two different field splits produce the same byte stream.
    md.update(Integer.toString(b.length).getBytes(StandardCharsets.US_ASCII));
    md.update((byte) ':');
    md.update(b);
  }

  static String canonicalQuery(String query) {
    if (query == null || query.isEmpty()) {
      return "";
    }
    List<Map.Entry<String, String>> pairs = new ArrayList<>();
    for (String part : query.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String name = eq < 0 ? part : part.substring(0, eq);
      String value = eq < 0 ? "" : part.substring(eq + 1);
      pairs.add(Map.entry(decode(name), decode(value)));
    }
    pairs.sort(
        Map.Entry.<String, String>comparingByKey().thenComparing(Map.Entry.comparingByValue()));
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> p : pairs) {
      if (sb.length() > 0) {
        sb.append('&');
      }
      sb.append(p.getKey().length()).append(':').append(p.getKey());
      sb.append('=').append(p.getValue().length()).append(':').append(p.getValue());
    }
    return sb.toString();
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException malformed) {
      return s; // keep malformed escapes verbatim: they still compare byte for byte
    }
  }
}
