package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a Spring MVC handler method idempotent under the {@code Idempotency-Key} header
 * (draft-ietf-httpapi-idempotency-key-header).
 *
 * <p>Start-up checks (no silent no-ops): a handler also reachable by {@code GET}, {@code HEAD} or
 * {@code OPTIONS} fails the start unless {@link #allowSafeMethods()}; in a reactive (WebFlux)
 * application, where the servlet filter never runs, any {@code @Idempotent} bean fails the start.
 * In a {@code @WebMvcTest} slice the filter is included (with an in-memory store unless the test
 * provides an {@code IdempotencyStore}), so tests see the same 400/409/422 answers as the
 * application.
 *
 * <p>Semantics, for a request to an annotated handler:
 *
 * <ul>
 *   <li>The key is read from the header named by {@code reliability.idempotency.header-name}. Both
 *       the structured-field string form ({@code "abc"}, as the draft specifies) and a bare token
 *       ({@code abc}: letters, digits and {@code -._~:+/=@}) are accepted. An empty, malformed,
 *       repeated or over-long key answers 400, as does any key the engine refuses; every error is
 *       {@code application/problem+json} with a type from {@link IdempotencyProblem}.
 *   <li>No key: 400 when {@link #required()}, else the handler runs unprotected.
 *   <li>First request with a key: the handler runs once; its status, allow-listed headers and body
 *       are stored according to {@link #outcome()}.
 *   <li>Same key, same request, completed: the stored response is replayed with {@code
 *       Idempotent-Replayed: true}; the handler does not run.
 *   <li>Same key while the first request is still running: 409 with {@code Retry-After}, or a wait
 *       for the outcome when {@link #concurrency()} is {@link ConcurrencyMode#WAIT}.
 *   <li>Same key, different request (method, route template, path, canonical query or body): 422.
 *       JSON bodies compare in canonical form ({@code reliability.idempotency.json-fingerprint}).
 *   <li>A request Spring MVC rejects before invoking the handler (unreadable body, failed argument
 *       validation or conversion; see {@code RequestValidation}) is not stored: the key stays free
 *       for the corrected request.
 *   <li>Async return values ({@code Callable}, {@code DeferredResult}, {@code CompletableFuture},
 *       {@code WebAsyncTask}): the key stays claimed, and its lease renewed, until the async result
 *       is dispatched; the dispatched response is what is stored and replayed.
 * </ul>
 *
 * <p>Keys are looked up by (tenant, authenticated principal, operation, key), never by the client
 * key alone, so one user can never receive another user's response; several {@link TenantResolver}
 * beans fail the start rather than scope by none. Error responses are {@code
 * application/problem+json} (RFC 9457). A key header sent to a handler without this annotation is
 * ignored.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Idempotent {

  /**
   * Operation name that scopes keys; defaults to the HTTP method and route template, e.g. {@code
   * "POST /orders/{id}/payments"}. Two endpoints sharing a name share keys.
   */
  String operation() default "";

  /** Whether a request without a key is rejected with 400 (else it runs unprotected). */
  boolean required() default true;

  /** What a request does while another one with the same key is in flight. */
  ConcurrencyMode concurrency() default ConcurrencyMode.REJECT;

  /**
   * Longest wait under {@link ConcurrencyMode#WAIT}, as a Spring duration string ({@code "5s"},
   * {@code "PT5S"}); empty means {@code reliability.idempotency.wait-timeout}. A wait that times
   * out answers 409.
   */
  String waitTimeout() default "";

  /**
   * How long the outcome is kept for replay, as a Spring duration string; empty means {@code
   * reliability.idempotency.retention}.
   */
  String retention() default "";

  /**
   * Whether the handler may be reachable by {@code GET}, {@code HEAD} or {@code OPTIONS} (also
   * through a mapping without a method). By default such a handler fails the start with an {@link
   * InvalidIdempotentHandlerException} naming it: a safe request carrying a key would be replayed
   * for the whole retention period instead of reading fresh data.
   */
  boolean allowSafeMethods() default false;

  /** Which outcomes are stored for replay; the others release the key so a retry runs again. */
  Outcomes outcome() default Outcomes.SUCCESSES_AND_CLIENT_ERRORS;

  /** Which responses are remembered (mapped to the core {@code OutcomePolicy}). */
  enum Outcomes {
    /**
     * Status below 500 except the retryable 408, 425 and 429; a 5xx or a thrown exception releases
     * the key so a retry executes again. The default.
     */
    SUCCESSES_AND_CLIENT_ERRORS,
    /** Status below 400 only. */
    SUCCESSES_ONLY,
    /** Every response, including 5xx (Stripe's behaviour). A thrown exception still releases. */
    ALL
  }
}
