package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyConflictException;
import io.github.reliability4j.core.idempotency.IdempotencyKeyMismatchException;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.IdempotencyStoreUnavailableException;
import io.github.reliability4j.core.idempotency.IdempotentExecution;
import io.github.reliability4j.core.idempotency.InvalidIdempotencyKeyException;
import io.github.reliability4j.core.idempotency.OutcomePolicy;
import io.github.reliability4j.spring.idempotency.ResponseReplay.CapturingResponse;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.web.filter.OncePerRequestFilter;

/*
 * Design notes. A HandlerInterceptor alone cannot do this: it sees neither the request body
 * before the handler consumes it nor the response body after the message converters wrote it.
 * So this filter (placed after Spring Security, which must have authenticated the request so the
 * principal can scope the key) asks the handler mappings which handler the dispatcher will pick,
 * and only for @Idempotent handlers: RequestCanonicalizer turns the request into key and
 * fingerprint (buffering the body), the engine claims the key, the rest of the chain runs against
 * a capturing response, and ResponseReplay stores what was written (or replays a stored outcome).
 * This class only orchestrates: dispatch types, the engine's answers, async, release/complete.
 *
 * Error-page rendering after sendError happens in a separate ERROR dispatch that this filter does
 * not wrap; such outcomes are stored as "status via sendError" and replayed through sendError.
 * When the handler ran in a transaction on the JDBC store's DataSource,
 * TransactionalCompletionInterceptor has already completed the key in that transaction and
 * flagged the request; the filter then only sends the live response.
 *
 * Async handlers: when the first dispatch returns with async started, the execution (still
 * renewing its lease) and the capturing response wait in a request attribute; the filter also
 * runs on the ASYNC dispatch, where Spring MVC renders the result into the same capturing
 * response, and completes the key there. An AsyncListener releases the key if the request ends
 * without such a dispatch. Requests Spring MVC rejects before invoking the handler (see
 * RequestValidation) release the key instead of storing the 400.
 */
final class IdempotencyFilter extends OncePerRequestFilter {

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
  private final RequestCanonicalizer canonicalizer;
  private final Map<ConfigKey, IdempotencyConfig> configs = new ConcurrentHashMap<>();

  IdempotencyFilter(
      IdempotentHandlerLookup lookup,
      Supplier<Idempotency> idempotency,
      IdempotencyProperties properties,
      IdempotencyScopeResolver scopeResolver) {
    this.lookup = lookup;
    this.idempotency = idempotency;
    this.properties = properties;
    this.canonicalizer = new RequestCanonicalizer(properties, scopeResolver);
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

    RequestCanonicalizer.Canonical canonical;
    IdempotentExecution execution;
    try {
      canonical = canonicalizer.canonicalize(request, match, operation);
      if (canonical == null) {
        chain.doFilter(request, response);
        return;
      }
      execution = begin(canonical, configFor(operation, annotation), operation);
    } catch (RequestCanonicalizer.Rejected rejected) {
      if (rejected.problem() == IdempotencyProblem.KEY_IN_PROGRESS
          || rejected.problem() == IdempotencyProblem.STORE_UNAVAILABLE) {
        response.setHeader("Retry-After", retryAfterSeconds(properties.getRetryAfter()));
      }
      ProblemDetails.write(response, rejected.problem(), rejected.detail(), instance);
      return;
    }
    switch (execution.kind()) {
      case REPLAY ->
          ResponseReplay.replay(request, response, execution.replayedOutcome().orElseThrow());
      case UNGUARDED -> {
        // The engine logged the outage and published FAIL_OPEN.
        chain.doFilter(canonical.request(), response);
      }
      case OWNER -> {
        CapturingResponse capturing = new CapturingResponse(response);
        run(canonical.request(), capturing, chain, new Pending(execution, capturing, operation));
      }
    }
  }

  /** Claims the key; every refusal by the engine becomes the matching problem. */
  private IdempotentExecution begin(
      RequestCanonicalizer.Canonical canonical, IdempotencyConfig config, String operation)
      throws RequestCanonicalizer.Rejected {
    try {
      return idempotency.get().begin(canonical.key(), canonical.fingerprint(), config);
    } catch (IdempotencyConflictException e) {
      throw new RequestCanonicalizer.Rejected(
          IdempotencyProblem.KEY_IN_PROGRESS,
          e.isWaited()
              ? "Waited for the request with the same key, which is still being processed;"
                  + " retry after it completes."
              : "A request with the same key is still being processed; retry after it"
                  + " completes.");
    } catch (IdempotencyKeyMismatchException e) {
      throw new RequestCanonicalizer.Rejected(
          IdempotencyProblem.KEY_REUSED,
          "This key was already used for a different request (method, path, query or body"
              + " differ). Use a new key for a new request.");
    } catch (IdempotencyStoreUnavailableException e) {
      log.warn("Idempotency store unavailable; rejecting {} with 503", operation, e);
      throw new RequestCanonicalizer.Rejected(
          IdempotencyProblem.STORE_UNAVAILABLE,
          "The request was not executed; retry it later with the same key.");
    } catch (InvalidIdempotencyKeyException e) {
      throw RequestCanonicalizer.rejected(e);
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
            new AsyncListener() {
              @Override
              public void onComplete(AsyncEvent event) {
                // Normally the final dispatch finished the execution already and this does nothing;
                // it releases the key when the request ended without one (client gone, container
                // timeout without a dispatch), so a retry can run.
                pending.execution().close();
              }

              @Override
              public void onTimeout(AsyncEvent event) {
                // Spring MVC answers a timeout by dispatching with AsyncRequestTimeoutException;
                // that dispatch (typically 503) goes through the outcome policy like any response.
              }

              @Override
              public void onError(AsyncEvent event) {
                pending.execution().close();
              }

              @Override
              public void onStartAsync(AsyncEvent event) {
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
    IdempotencyResult.Status status =
        execution.complete(ResponseReplay.capture(capturing, properties.getReplayHeaders()));
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

  static Duration duration(String value, Duration fallback) {
    return value == null || value.isBlank() ? fallback : DurationStyle.detectAndParse(value);
  }

  private static String retryAfterSeconds(Duration d) {
    long s = Math.max(1, (d.toMillis() + 999) / 1000);
    return Long.toString(s);
  }
}
