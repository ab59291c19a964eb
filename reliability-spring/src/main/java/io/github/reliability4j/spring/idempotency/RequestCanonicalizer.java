package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.InvalidIdempotencyKeyException;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.Part;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * Turns an HTTP request to an {@link Idempotent @Idempotent} handler into what the engine needs:
 * the scoped {@link IdempotencyKey} and the {@link RequestFingerprint} (method, route template,
 * path, canonical query and body; see {@link HttpRequestFingerprint}), plus the request to pass on
 * (its body buffered when it had to be read).
 *
 * <p>Every way the request can be refused before the engine sees it ends in a {@link Rejected}
 * carrying the problem type and its detail: a missing, repeated, malformed or over-long key
 * (including a key that {@link IdempotencyKey#of} refuses), and a body over {@code max-body-size}.
 * Nothing else escapes except I/O errors of the request itself.
 *
 * <p>Bodies: form bodies enter the fingerprint as their sorted parameters (the container parses
 * them, so reading the stream would lose them); multipart bodies as parameters plus each part's
 * name, file name, size and bytes, sorted by name; JSON bodies in the canonical form of {@link
 * CanonicalJson} unless {@code json-fingerprint=raw}; every other body as sent.
 *
 * <p>Stateless apart from the properties; thread-safe.
 */
final class RequestCanonicalizer {

  /** An idempotent request ready for the engine. */
  record Canonical(
      IdempotencyKey key, RequestFingerprint fingerprint, HttpServletRequest request) {}

  /** The request is refused with {@code problem}; the handler does not run. */
  static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient IdempotencyProblem problem;

    Rejected(IdempotencyProblem problem, String detail) {
      super(detail, null, false, false);
      this.problem = problem;
    }

    IdempotencyProblem problem() {
      return problem;
    }

    String detail() {
      return getMessage();
    }
  }

  private final IdempotencyProperties properties;
  private final IdempotencyScopeResolver scopeResolver;

  RequestCanonicalizer(IdempotencyProperties properties, IdempotencyScopeResolver scopeResolver) {
    this.properties = properties;
    this.scopeResolver = scopeResolver;
  }

  /**
   * The key and fingerprint of {@code request}, or null when it carries no key and {@code
   * required=false} (it then runs unprotected).
   *
   * @throws Rejected if the request must be answered with a problem instead of running
   */
  Canonical canonicalize(
      HttpServletRequest request, IdempotentHandlerLookup.Match match, String operation)
      throws Rejected, IOException, ServletException {
    String header = properties.getHeaderName();
    List<String> values = Collections.list(request.getHeaders(header));
    if (values.isEmpty()) {
      if (match.annotation().required()) {
        throw new Rejected(
            IdempotencyProblem.KEY_MISSING, "This operation requires an " + header + " header.");
      }
      return null;
    }
    if (values.size() > 1) {
      throw new Rejected(
          IdempotencyProblem.KEY_MALFORMED, "Send exactly one " + header + " header.");
    }
    IdempotencyKeyHeader.Parsed parsed =
        IdempotencyKeyHeader.parse(values.get(0), properties.getMaxKeyLength());
    if (parsed.error() != null) {
      throw new Rejected(
          IdempotencyProblem.KEY_MALFORMED,
          "The " + header + " header is invalid: " + parsed.error() + ".");
    }

    HttpServletRequest effective = request;
    byte[] body;
    String contentType = request.getContentType();
    String lowerType = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
    if (lowerType.startsWith("application/x-www-form-urlencoded")) {
      body = canonicalParameters(request);
    } else if (lowerType.startsWith("multipart/")) {
      body = multipartDigestInput(request);
    } else {
      long max = properties.getMaxBodySize().toBytes();
      byte[] raw = readBody(request, max);
      if (raw == null) {
        throw new Rejected(
            IdempotencyProblem.REQUEST_TOO_LARGE,
            "Idempotent requests may carry at most " + max + " bytes.");
      }
      body = jsonFingerprintInput(request, lowerType, raw);
      effective = new CachedBodyRequest(request, raw);
    }

    IdempotencyKey key = key(scopeResolver.resolveScope(request), operation, parsed.key());
    RequestFingerprint fingerprint =
        RequestFingerprint.fromHex(
            HttpRequestFingerprint.of(
                request.getMethod(),
                match.routeTemplate(),
                request.getRequestURI(),
                request.getQueryString(),
                body));
    return new Canonical(key, fingerprint, effective);
  }

  /**
   * {@link IdempotencyKey#of}, its refusal turned into a 400: the client key already passed the
   * header rules, so what can still fail is a component over {@link
   * IdempotencyKey#ABSOLUTE_MAX_LENGTH} (a scope or operation from a custom resolver or name).
   */
  static IdempotencyKey key(String scope, String operation, String clientKey) throws Rejected {
    try {
      return IdempotencyKey.of(scope, operation, clientKey);
    } catch (InvalidIdempotencyKeyException e) {
      throw rejected(e);
    }
  }

  /** The 400 answer to a key the core refused; the message never contains the key itself. */
  static Rejected rejected(InvalidIdempotencyKeyException e) {
    return new Rejected(IdempotencyProblem.KEY_MALFORMED, e.getMessage() + ".");
  }

  /**
   * The canonical form of a JSON body (see {@link CanonicalJson}) unless {@code
   * json-fingerprint=raw}; any other body, and JSON that does not parse, as sent.
   */
  private byte[] jsonFingerprintInput(HttpServletRequest request, String lowerType, byte[] body) {
    if (properties.getJsonFingerprint() != IdempotencyProperties.JsonFingerprint.CANONICAL
        || !isJson(lowerType)) {
      return body;
    }
    Charset charset = StandardCharsets.UTF_8;
    String enc = request.getCharacterEncoding();
    if (enc != null) {
      try {
        charset = Charset.forName(enc);
      } catch (IllegalArgumentException unknown) {
        return body;
      }
    }
    byte[] canonical = CanonicalJson.canonicalize(body, charset);
    return canonical == null ? body : canonical;
  }

  static boolean isJson(String lowerType) {
    int semicolon = lowerType.indexOf(';');
    String type = (semicolon < 0 ? lowerType : lowerType.substring(0, semicolon)).strip();
    return type.equals("application/json")
        || (type.startsWith("application/") && type.endsWith("+json"));
  }

  /** Reads at most {@code max} bytes; returns null if the body is longer. */
  private static byte[] readBody(HttpServletRequest request, long max) throws IOException {
    long declared = request.getContentLengthLong();
    if (declared > max) {
      return null;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 256);
    byte[] buf = new byte[8192];
    try (InputStream in = request.getInputStream()) {
      long total = 0;
      int n;
      while ((n = in.read(buf)) != -1) {
        total += n;
        if (total > max) {
          return null;
        }
        out.write(buf, 0, n);
      }
    }
    return out.toByteArray();
  }

  private static byte[] canonicalParameters(HttpServletRequest request) {
    TreeMap<String, String[]> sorted = new TreeMap<>(request.getParameterMap());
    StringBuilder sb = new StringBuilder();
    sorted.forEach(
        (k, v) -> {
          String[] copy = v.clone();
          Arrays.sort(copy);
          for (String s : copy) {
            sb.append(k.length()).append(':').append(k).append('=');
            sb.append(s.length()).append(':').append(s).append('&');
          }
        });
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] multipartDigestInput(HttpServletRequest request)
      throws IOException, ServletException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(canonicalParameters(request));
    List<Part> parts = new ArrayList<>(request.getParts());
    parts.sort(Comparator.comparing(Part::getName));
    for (Part p : parts) {
      String header = p.getName() + "|" + p.getSubmittedFileName() + "|" + p.getSize() + "|";
      out.write(header.getBytes(StandardCharsets.UTF_8));
      try (InputStream in = p.getInputStream()) {
        in.transferTo(out);
      }
    }
    return out.toByteArray();
  }

  /** Serves the already-read body to the handler. */
  static final class CachedBodyRequest extends HttpServletRequestWrapper {
    private final byte[] body;

    CachedBodyRequest(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public ServletInputStream getInputStream() {
      ByteArrayInputStream in = new ByteArrayInputStream(body);
      return new ServletInputStream() {
        @Override
        public int read() {
          return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
          return in.read(b, off, len);
        }

        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
          throw new UnsupportedOperationException("async reads of a buffered body");
        }
      };
    }

    @Override
    public BufferedReader getReader() {
      String enc = getCharacterEncoding();
      Charset cs = enc == null ? StandardCharsets.ISO_8859_1 : Charset.forName(enc);
      return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), cs));
    }

    @Override
    public int getContentLength() {
      return body.length;
    }

    @Override
    public long getContentLengthLong() {
      return body.length;
    }
  }
}
