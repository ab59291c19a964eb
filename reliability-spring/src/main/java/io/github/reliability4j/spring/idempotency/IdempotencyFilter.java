package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyConflictException;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyKeyMismatchException;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.IdempotencyStoreUnavailableException;
import io.github.reliability4j.core.idempotency.IdempotentExecution;
import io.github.reliability4j.core.idempotency.OutcomePolicy;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.spring.internal.RequestConsistency;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
 * Everything goes through the Idempotency engine (circuit breaker, store-call timeout, outage
 * policy, lease renewal, events). When the handler ran in a transaction on the JDBC store's
 * DataSource, TransactionalCompletionInterceptor has already completed the key in that
 * transaction and flagged the request; the filter then only sends the live response.
 *
 * Async handlers: when the first dispatch returns with async started, the execution (still
 * renewing its lease) and the capturing response wait in a request attribute; the filter also
 * runs on the ASYNC dispatch, where Spring MVC renders the result into the same capturing
 * response, and completes the key there. An AsyncListener releases the key if the request ends
 * without such a dispatch. Requests Spring MVC rejects before invoking the handler (see
 * RequestValidation) release the key instead of storing the 400.
 */
final class IdempotencyFilter extends OncePerRequestFilter {

  static final String REPLAYED_HEADER = "Idempotent-Replayed";
  private static final String META_SEND_ERROR = "x-reliability4j-send-error";
  private static final String META_HEADER_PREFIX = "h:";

  /** Request attribute holding the {@link IdempotentExecution} of an owned key while it runs. */
  static final String EXECUTION_ATTRIBUTE = IdempotencyFilter.class.getName() + ".execution";

  /** Set while a transactional completion is registered for the request's execution. */
  static final String TRANSACTIONAL_ATTRIBUTE =
      IdempotencyFilter.class.getName() + ".transactional";

  private static final String PENDING_ATTRIBUTE = IdempotencyFilter.class.getName() + ".pending";

  private static final String COMPLETED_EXTERNALLY_ATTRIBUTE =
      IdempotencyFilter.class.getName() + ".completedExternally";
  private static final Logger log = LoggerFactory.getLogger(IdempotencyFilter.class);

  private final IdempotentHandlerLookup lookup;
  private final Supplier<Idempotency> idempotency;
  private final IdempotencyProperties properties;
  private final IdempotencyScopeResolver scopeResolver;
  private final Map<ConfigKey, IdempotencyConfig> configs = new ConcurrentHashMap<>();

  IdempotencyFilter(
      IdempotentHandlerLookup lookup,
      Supplier<Idempotency> idempotency,
      IdempotencyProperties properties,
      IdempotencyScopeResolver scopeResolver) {
    this.lookup = lookup;
    this.idempotency = idempotency;
    this.properties = properties;
    this.scopeResolver = scopeResolver;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    return !properties.isEnabled() || !lookup.anyIdempotentHandler();
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (isAsyncDispatch(request)) {
      if (request.getAttribute(PENDING_ATTRIBUTE) instanceof Pending pending) {
        request.removeAttribute(PENDING_ATTRIBUTE);
        run(request, response, chain, pending);
      } else {
        chain.doFilter(request, response);
      }
      return;
    }
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
      bodyForFingerprint = jsonFingerprintInput(request, lowerType, body);
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

    IdempotencyConfig config = configFor(operation, annotation);
    IdempotentExecution execution;
    try {
      execution = idempotency.get().begin(key, fingerprint, config);
    } catch (IdempotencyConflictException e) {
      response.setHeader("Retry-After", retryAfterSeconds(properties.getRetryAfter()));
      ProblemDetails.write(
          response,
          409,
          "Request with this idempotency key is in progress",
          e.isWaited()
              ? "Waited for the request with the same key, which is still being processed;"
                  + " retry after it completes."
              : "A request with the same key is still being processed; retry after it"
                  + " completes.",
          instance);
      return;
    } catch (IdempotencyKeyMismatchException e) {
      ProblemDetails.write(
          response,
          422,
          "Idempotency key reused",
          "This key was already used for a different request (method, path, query or body"
              + " differ). Use a new key for a new request.",
          instance);
      return;
    } catch (IdempotencyStoreUnavailableException e) {
      log.warn("Idempotency store unavailable; rejecting {} with 503", operation, e);
      response.setHeader("Retry-After", retryAfterSeconds(properties.getRetryAfter()));
      ProblemDetails.write(
          response,
          503,
          "Idempotency store unavailable",
          "The request was not executed; retry it later with the same key.",
          instance);
      return;
    }
    switch (execution.kind()) {
      case REPLAY -> replay(request, response, execution.replayedOutcome().orElseThrow());
      case UNGUARDED -> {
        // The engine logged the outage and published FAIL_OPEN.
        chain.doFilter(effectiveRequest, response);
      }
      case OWNER -> execute(effectiveRequest, response, chain, operation, execution);
    }
  }

  private IdempotencyConfig configFor(String operation, Idempotent annotation) {
    return configs.computeIfAbsent(
        new ConfigKey(operation, annotation),
        k -> {
          IdempotencyConfig.Builder b =
              IdempotencyConfig.from(idempotency.get().configFor(operation))
                  .retention(duration(annotation.retention(), properties.getRetention()))
                  .outcomePolicy(policy(annotation.outcome()));
          Duration wait = duration(annotation.waitTimeout(), properties.getWaitTimeout());
          if (annotation.concurrency() == ConcurrencyMode.WAIT
              && !wait.isZero()
              && !wait.isNegative()) {
            b.concurrencyMode(ConcurrencyMode.WAIT).waitTimeout(wait);
          } else {
            // WAIT with a zero wait-timeout answers at once, exactly like REJECT.
            b.concurrencyMode(ConcurrencyMode.REJECT);
          }
          return b.build();
        });
  }

  /**
   * Marks the request's execution as completed in the handler's own transaction (called by the
   * transactional completion after the commit), so the filter neither completes nor releases it.
   */
  static void markCompletedExternally(HttpServletRequest request) {
    request.setAttribute(COMPLETED_EXTERNALLY_ATTRIBUTE, Boolean.TRUE);
  }

  private static boolean completedExternally(HttpServletRequest request) {
    return Boolean.TRUE.equals(request.getAttribute(COMPLETED_EXTERNALLY_ATTRIBUTE));
  }

  private record ConfigKey(String operation, Idempotent annotation) {}

  private void execute(
      HttpServletRequest request,
      HttpServletResponse response,
      FilterChain chain,
      String operation,
      IdempotentExecution execution)
      throws IOException, ServletException {
    CapturingResponse capturing = new CapturingResponse(response);
    run(request, capturing, chain, new Pending(execution, capturing, operation));
  }

  /**
   * Runs one dispatch of an owned request (the first one, or the ASYNC dispatch that renders an
   * async handler's result) and then stores the captured response, unless the dispatch started
   * (another) async cycle: the key then stays claimed, its lease renewed by the engine, until the
   * dispatch that ends the request. The engine renews the lease while the handler runs, so a slow
   * but live execution is never taken over by a retry; close() releases the key unless
   * complete/release ran.
   */
  private void run(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain, Pending pending)
      throws IOException, ServletException {
    IdempotentExecution execution = pending.execution();
    CapturingResponse capturing = pending.capturing();
    boolean asyncStarted = false;
    try {
      request.setAttribute(EXECUTION_ATTRIBUTE, execution);
      try {
        // On the ASYNC dispatch, the response given to startAsync: Spring MVC's wrapper around
        // the capturing response, so the rendered result still lands in its buffer.
        chain.doFilter(request, response);
      } catch (RuntimeException | IOException | ServletException e) {
        if (!completedExternally(request)) {
          execution.release(e);
        }
        throw e;
      } finally {
        request.removeAttribute(EXECUTION_ATTRIBUTE);
      }
      if (completedExternally(request)) {
        return;
      }
      if (request.isAsyncStarted()) {
        asyncStarted = true;
        awaitAsyncDispatch(request, pending);
        return;
      }
      if (RequestValidation.rejected(request)) {
        // Like Stripe: a request refused before the handler ran is not stored, so the client can
        // fix it and retry with the same key.
        execution.release(null);
        return;
      }
      store(capturing, pending.operation(), execution);
    } finally {
      if (!asyncStarted) {
        execution.close();
        if (!capturing.isErrorSent()) {
          capturing.copyBodyToResponse();
        }
      }
    }
  }

  /** An owned key whose request is in async processing, kept as a request attribute. */
  private record Pending(
      IdempotentExecution execution, CapturingResponse capturing, String operation) {}

  private static void awaitAsyncDispatch(HttpServletRequest request, Pending pending) {
    request.setAttribute(PENDING_ATTRIBUTE, pending);
    request
        .getAsyncContext()
        .addListener(
            new jakarta.servlet.AsyncListener() {
              @Override
              public void onComplete(jakarta.servlet.AsyncEvent event) {
                // Normally the final dispatch finished the execution already and this does nothing;
                // it releases the key when the request ended without one (client gone, container
                // timeout without a dispatch), so a retry can run.
                pending.execution().close();
              }

              @Override
              public void onTimeout(jakarta.servlet.AsyncEvent event) {
                // Spring MVC answers a timeout by dispatching with AsyncRequestTimeoutException;
                // that
                // dispatch (typically 503) goes through the outcome policy like any response.
              }

              @Override
              public void onError(jakarta.servlet.AsyncEvent event) {
                pending.execution().close();
              }

              @Override
              public void onStartAsync(jakarta.servlet.AsyncEvent event) {
                event.getAsyncContext().addListener(this);
              }
            });
  }

  @Override
  protected boolean shouldNotFilterAsyncDispatch() {
    // The ASYNC dispatch of an async @Idempotent handler renders the response that is stored.
    return false;
  }

  private void store(CapturingResponse capturing, String operation, IdempotentExecution execution) {
    StoredOutcome outcome = capture(capturing);
    IdempotencyResult.Status status = execution.complete(outcome);
    switch (status) {
      case STORE_ERROR ->
          log.warn(
              "Could not store the outcome of {}; a retry gets 409 until the lease expires,"
                  + " then executes again",
              execution.key());
      case LEASE_LOST ->
          log.warn(
              "Lost the lease on {} before completing it (execution exceeded"
                  + " reliability.idempotency.lease-duration={} and renewal failed); the"
                  + " response is not stored",
              execution.key(),
              execution.config().getLeaseDuration());
      case OUTCOME_TOO_LARGE ->
          log.warn(
              "The response of {} exceeds reliability.idempotency.max-stored-response-size={};"
                  + " returned but not stored, key released",
              operation,
              properties.getMaxStoredResponseSize());
      default -> {}
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

  private void replay(
      HttpServletRequest request, HttpServletResponse response, StoredOutcome outcome)
      throws IOException {
    response.setHeader(REPLAYED_HEADER, "true");
    reissueConsistencyToken(request);
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

  /**
   * With replica routing, the consistency token of the original write is re-issued rather than
   * stored: the request's session is advanced to the primary's current position, which is at or
   * after the write (the key completes only after the write committed, or in its transaction), so
   * the retrying client reads its write. Storing the token instead would miss the transactional
   * mode, whose outcome is written before the commit position exists.
   */
  private static void reissueConsistencyToken(HttpServletRequest request) {
    if (request.getAttribute(RequestConsistency.ATTRIBUTE) instanceof RequestConsistency session) {
      try {
        session.advanceToPrimary();
      } catch (Exception e) {
        log.warn(
            "Could not read the primary's position to re-issue the consistency token of a"
                + " replayed response; the replay carries the request's own token only",
            e);
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
