package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.OutcomePolicy;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.core.idempotency.event.IdempotencyEvent;
import io.github.reliability4j.core.idempotency.event.IdempotencyEventListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.Part;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingResponseWrapper;

/*
 * Design notes. A HandlerInterceptor alone cannot do this: it sees neither the request body
 * before the handler consumes it nor the response body after the message converters wrote it.
 * So this filter (placed after Spring Security, which must have authenticated the request so the
 * principal can scope the key) asks the handler mappings which handler the dispatcher will pick,
 * and only for @Idempotent handlers buffers the body, claims the key, runs the rest of the chain
 * against a caching response, and stores what was written. Error-page rendering after sendError
 * happens in a separate ERROR dispatch that this filter does not wrap; such outcomes are stored
 * as "status via sendError" and replayed through sendError so the error page renders again.
 */
final class IdempotencyFilter extends OncePerRequestFilter {

  static final String REPLAYED_HEADER = "Idempotent-Replayed";
  private static final String META_SEND_ERROR = "x-reliability4j-send-error";
  private static final String META_HEADER_PREFIX = "h:";
  private static final Logger log = LoggerFactory.getLogger(IdempotencyFilter.class);

  private final IdempotentHandlerLookup lookup;
  private final Supplier<IdempotencyStore> store;
  private final IdempotencyProperties properties;
  private final IdempotencyScopeResolver scopeResolver;
  private final List<IdempotencyEventListener> listeners;
  private final Clock clock;
  private final java.util.concurrent.ScheduledExecutorService renewals;

  IdempotencyFilter(
      IdempotentHandlerLookup lookup,
      Supplier<IdempotencyStore> store,
      IdempotencyProperties properties,
      IdempotencyScopeResolver scopeResolver,
      List<IdempotencyEventListener> listeners,
      Clock clock) {
    this.lookup = lookup;
    this.store = store;
    this.properties = properties;
    this.scopeResolver = scopeResolver;
    this.listeners = List.copyOf(listeners);
    this.clock = clock;
    this.renewals =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "reliability4j-idempotency-lease-renewal");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public void destroy() {
    renewals.shutdownNow();
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    return !properties.isEnabled() || !lookup.anyIdempotentHandler();
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    IdempotentHandlerLookup.Match match = lookup.find(request);
    if (match == null) {
      chain.doFilter(request, response);
      return;
    }
    Idempotent annotation = match.annotation();
    String operation =
        annotation.operation().isEmpty()
            ? request.getMethod() + " " + match.routeTemplate()
            : annotation.operation();
    String instance = request.getRequestURI();

    List<String> values = Collections.list(request.getHeaders(properties.getHeaderName()));
    if (values.isEmpty()) {
      if (annotation.required()) {
        ProblemDetails.write(
            response,
            400,
            "Idempotency key missing",
            "This operation requires an " + properties.getHeaderName() + " header.",
            instance);
        return;
      }
      chain.doFilter(request, response);
      return;
    }
    if (values.size() > 1) {
      ProblemDetails.write(
          response,
          400,
          "Malformed idempotency key",
          "Send exactly one " + properties.getHeaderName() + " header.",
          instance);
      return;
    }
    IdempotencyKeyHeader.Parsed parsed =
        IdempotencyKeyHeader.parse(values.get(0), properties.getMaxKeyLength());
    if (parsed.error() != null) {
      ProblemDetails.write(
          response,
          400,
          "Malformed idempotency key",
          "The " + properties.getHeaderName() + " header is invalid: " + parsed.error() + ".",
          instance);
      return;
    }

    HttpServletRequest effectiveRequest = request;
    byte[] bodyForFingerprint;
    String contentType = request.getContentType();
    String lowerType = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
    if (lowerType.startsWith("application/x-www-form-urlencoded")) {
      // The container parses form bodies into parameters; reading the stream would lose them.
      bodyForFingerprint = canonicalParameters(request);
    } else if (lowerType.startsWith("multipart/")) {
      bodyForFingerprint = multipartDigestInput(request);
    } else {
      byte[] body = readBody(request, properties.getMaxBodySize().toBytes());
      if (body == null) {
        ProblemDetails.write(
            response,
            413,
            "Request body too large for an idempotent request",
            "Idempotent requests may carry at most "
                + properties.getMaxBodySize().toBytes()
                + " bytes.",
            instance);
        return;
      }
      bodyForFingerprint = body;
      effectiveRequest = new CachedBodyRequest(request, body);
    }

    String scope = scopeResolver.resolveScope(request);
    IdempotencyKey key = IdempotencyKey.of(scope, operation, parsed.key());
    RequestFingerprint fingerprint =
        RequestFingerprint.fromHex(
            HttpRequestFingerprint.of(
                request.getMethod(),
                match.routeTemplate(),
                request.getRequestURI(),
                request.getQueryString(),
                bodyForFingerprint));

    Duration waitTimeout =
        annotation.concurrency() == ConcurrencyMode.WAIT
            ? duration(annotation.waitTimeout(), properties.getWaitTimeout())
            : Duration.ZERO;
    Instant waitDeadline = clock.instant().plus(waitTimeout);
    long pollMillis = 10;
    while (true) {
      ClaimResult result;
      long claimStart = System.nanoTime();
      try {
        result = store.get().claim(key, fingerprint, properties.getLeaseDuration());
      } catch (RuntimeException storeDown) {
        publish(IdempotencyEvent.Type.STORE_ERROR, key, since(claimStart), "claim", storeDown);
        if (properties.getStoreFailureMode() == IdempotencyProperties.StoreFailureMode.FAIL_OPEN) {
          log.warn(
              "Idempotency store unavailable; running {} WITHOUT idempotency protection"
                  + " (reliability.idempotency.store-failure-mode=fail-open)",
              operation,
              storeDown);
          publish(IdempotencyEvent.Type.FAIL_OPEN, key, null, "", storeDown);
          chain.doFilter(effectiveRequest, response);
          return;
        }
        log.warn("Idempotency store unavailable; rejecting {} with 503", operation, storeDown);
        response.setHeader("Retry-After", retryAfterSeconds(properties.getRetryAfter()));
        ProblemDetails.write(
            response,
            503,
            "Idempotency store unavailable",
            "The request was not executed; retry it later with the same key.",
            instance);
        return;
      }
      Duration claimTime = since(claimStart);
      if (result instanceof ClaimResult.Acquired acquired) {
        publish(
            acquired.takeover() ? IdempotencyEvent.Type.TAKEOVER : IdempotencyEvent.Type.CLAIMED,
            key,
            claimTime,
            "",
            null);
        execute(effectiveRequest, response, chain, operation, annotation, key, acquired);
        return;
      }
      if (result instanceof ClaimResult.Completed completed) {
        publish(
            IdempotencyEvent.Type.REPLAYED,
            key,
            claimTime,
            "status " + completed.outcome().status(),
            null);
        replay(response, completed.outcome());
        return;
      }
      if (result instanceof ClaimResult.Mismatch) {
        publish(IdempotencyEvent.Type.MISMATCH, key, claimTime, "", null);
        ProblemDetails.write(
            response,
            422,
            "Idempotency key reused",
            "This key was already used for a different request (method, path, query or body"
                + " differ). Use a new key for a new request.",
            instance);
        return;
      }
      Instant now = clock.instant();
      if (now.isBefore(waitDeadline)) {
        try {
          Thread.sleep(
              Math.min(pollMillis, Math.max(1, Duration.between(now, waitDeadline).toMillis())));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        pollMillis = Math.min(pollMillis * 2, 200);
        continue;
      }
      publish(IdempotencyEvent.Type.CONFLICT, key, claimTime, "", null);
      response.setHeader("Retry-After", retryAfterSeconds(properties.getRetryAfter()));
      ProblemDetails.write(
          response,
          409,
          "Request with this idempotency key is in progress",
          "A request with the same key is still being processed; retry after it completes.",
          instance);
      return;
    }
    publish(IdempotencyEvent.Type.CONFLICT, key, null, "interrupted", null);
    response.setHeader("Retry-After", retryAfterSeconds(properties.getRetryAfter()));
    ProblemDetails.write(
        response,
        409,
        "Request with this idempotency key is in progress",
        "Interrupted while waiting for the request with the same key.",
        instance);
  }

  private void execute(
      HttpServletRequest request,
      HttpServletResponse response,
      FilterChain chain,
      String operation,
      Idempotent annotation,
      IdempotencyKey key,
      ClaimResult.Acquired acquired)
      throws IOException, ServletException {
    CapturingResponse capturing = new CapturingResponse(response);
    // Renew the lease every third of its duration while the handler runs, so a slow but live
    // execution is never taken over by a retry; a lost lease stops the renewals.
    long period = Math.max(1, properties.getLeaseDuration().toMillis() / 3);
    java.util.concurrent.atomic.AtomicBoolean finished =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.ScheduledFuture<?> renewal =
        renewals.scheduleAtFixedRate(
            () -> {
              if (finished.get()) {
                return;
              }
              try {
                if (store
                    .get()
                    .renew(key, acquired.ownerToken(), properties.getLeaseDuration())
                    .isEmpty()) {
                  throw new IllegalStateException("lease lost");
                }
              } catch (RuntimeException e) {
                if (!finished.get()) {
                  log.warn("Could not renew the lease on {}", key, e);
                }
                throw e; // cancels further renewals
              }
            },
            period,
            period,
            java.util.concurrent.TimeUnit.MILLISECONDS);
    boolean completed = false;
    long start = System.nanoTime();
    try {
      chain.doFilter(request, capturing);
      finished.set(true);
      renewal.cancel(false);
      if (request.isAsyncStarted()) {
        log.warn(
            "@Idempotent handler {} started async processing, which is not supported; the key"
                + " is released and the response is not stored",
            operation);
        return;
      }
      StoredOutcome outcome = capture(capturing);
      if (policy(annotation.outcome()).shouldStore(outcome)) {
        Duration retention = duration(annotation.retention(), properties.getRetention());
        long storeStart = System.nanoTime();
        boolean ok;
        try {
          ok = store.get().complete(key, acquired.ownerToken(), outcome, retention);
        } catch (RuntimeException e) {
          publish(IdempotencyEvent.Type.STORE_ERROR, key, since(storeStart), "complete", e);
          log.warn("Could not store the outcome of {}; a retry will execute again", key, e);
          return;
        }
        if (ok) {
          completed = true;
          publish(
              IdempotencyEvent.Type.COMPLETED,
              key,
              since(start),
              "status " + outcome.status(),
              null);
        } else {
          completed = true; // nothing left to release: we no longer own the key
          publish(IdempotencyEvent.Type.LEASE_LOST, key, since(start), "complete", null);
          log.warn(
              "Lost the lease on {} before completing it (execution exceeded"
                  + " reliability.idempotency.lease-duration={}); the response is not stored",
              key,
              properties.getLeaseDuration());
        }
      } else {
        publish(
            IdempotencyEvent.Type.RELEASED,
            key,
            since(start),
            "outcome policy: status " + outcome.status(),
            null);
      }
    } catch (RuntimeException | IOException | ServletException e) {
      publish(IdempotencyEvent.Type.RELEASED, key, since(start), "exception", e);
      throw e;
    } finally {
      finished.set(true);
      renewal.cancel(false);
      if (!completed) {
        long releaseStart = System.nanoTime();
        try {
          store.get().release(key, acquired.ownerToken());
        } catch (RuntimeException releaseFailure) {
          publish(
              IdempotencyEvent.Type.STORE_ERROR,
              key,
              since(releaseStart),
              "release",
              releaseFailure);
          log.warn(
              "Could not release {}; a retry gets 409 until the lease expires",
              key,
              releaseFailure);
        }
      }
      if (!capturing.isErrorSent()) {
        capturing.copyBodyToResponse();
      }
    }
  }

  static OutcomePolicy policy(Idempotent.Outcomes outcomes) {
    return switch (outcomes) {
      case SUCCESSES_AND_CLIENT_ERRORS -> OutcomePolicy.storeSuccessesAndClientErrors();
      case SUCCESSES_ONLY -> OutcomePolicy.storeSuccessesOnly();
      case ALL -> OutcomePolicy.storeAll();
    };
  }

  private StoredOutcome capture(CapturingResponse capturing) {
    Map<String, String> meta = new LinkedHashMap<>();
    if (capturing.isErrorSent()) {
      meta.put(META_SEND_ERROR, "true");
      return StoredOutcome.of(capturing.getStatus(), meta, new byte[0]);
    }
    for (String name : properties.getReplayHeaders()) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (IdempotencyProperties.SENSITIVE_HEADERS.contains(lower)) {
        continue;
      }
      if (lower.equals("content-type")) {
        if (capturing.getContentType() != null) {
          meta.put(META_HEADER_PREFIX + name, capturing.getContentType());
        }
        continue;
      }
      List<String> vals = new ArrayList<>(capturing.getHeaders(name));
      if (!vals.isEmpty()) {
        // Multiple values are joined with '\n', which cannot occur inside a header value.
        meta.put(META_HEADER_PREFIX + name, String.join("\n", vals));
      }
    }
    return StoredOutcome.of(capturing.getStatus(), meta, capturing.getContentAsByteArray());
  }

  private void replay(HttpServletResponse response, StoredOutcome outcome) throws IOException {
    response.setHeader(REPLAYED_HEADER, "true");
    Map<String, String> meta = outcome.metadata();
    if ("true".equals(meta.get(META_SEND_ERROR))) {
      response.sendError(outcome.status());
      return;
    }
    response.setStatus(outcome.status());
    for (Map.Entry<String, String> e : meta.entrySet()) {
      if (!e.getKey().startsWith(META_HEADER_PREFIX)) {
        continue;
      }
      String name = e.getKey().substring(META_HEADER_PREFIX.length());
      if (IdempotencyProperties.SENSITIVE_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        continue;
      }
      if (name.equalsIgnoreCase("content-type")) {
        response.setContentType(e.getValue());
        continue;
      }
      for (String v : e.getValue().split("\n")) {
        response.addHeader(name, v);
      }
    }
    byte[] body = outcome.body();
    response.setContentLength(body.length);
    if (body.length > 0) {
      response.getOutputStream().write(body);
    }
    response.flushBuffer();
  }

  private static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  private void publish(
      IdempotencyEvent.Type type,
      IdempotencyKey key,
      Duration duration,
      String detail,
      Throwable error) {
    if (listeners.isEmpty()) {
      return;
    }
    IdempotencyEvent event =
        new IdempotencyEvent(type, key, clock.instant(), duration, detail, error);
    for (IdempotencyEventListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("IdempotencyEventListener {} threw; ignored", l, e);
      }
    }
  }

  static Duration duration(String value, Duration fallback) {
    return value == null || value.isBlank() ? fallback : DurationStyle.detectAndParse(value);
  }

  private static String retryAfterSeconds(Duration d) {
    long s = Math.max(1, (d.toMillis() + 999) / 1000);
    return Long.toString(s);
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
          java.util.Arrays.sort(copy);
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
    parts.sort(java.util.Comparator.comparing(Part::getName));
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

  /** Remembers whether the handler ended with sendError (rendered later by the error page). */
  static final class CapturingResponse extends ContentCachingResponseWrapper {
    private boolean errorSent;

    CapturingResponse(HttpServletResponse response) {
      super(response);
    }

    @Override
    public void sendError(int sc) throws IOException {
      errorSent = true;
      super.sendError(sc);
    }

    @Override
    public void sendError(int sc, String msg) throws IOException {
      errorSent = true;
      super.sendError(sc, msg);
    }

    boolean isErrorSent() {
      return errorSent;
    }
  }
}
