/**
 * {@link io.github.reliability4j.spring.idempotency.Idempotent @Idempotent} Spring MVC endpoints
 * over the core idempotency engine, and their auto-configuration.
 *
 * <p>The rooms of the HTTP side, each a page:
 *
 * <ul>
 *   <li>{@code IdempotencyFilter} — orchestration only: which dispatch, which handler ({@code
 *       IdempotentHandlerLookup}), the engine's answer (owner, replay, unguarded, or a problem),
 *       the async hand-over, and complete/release of an owned key;
 *   <li>{@code RequestCanonicalizer} — the request as the engine sees it: the key header ({@code
 *       IdempotencyKeyHeader}), the scope ({@link
 *       io.github.reliability4j.spring.idempotency.IdempotencyScopeResolver}), the buffered body
 *       and the fingerprint ({@code HttpRequestFingerprint}, {@code CanonicalJson}); every refusal
 *       is a typed problem;
 *   <li>{@code ResponseReplay} — what is stored of a response (status, allow-listed headers, body,
 *       or "sent via sendError") and how a stored outcome is sent again; shared with {@code
 *       TransactionalCompletionInterceptor}, which stores the handler's return value inside its
 *       transaction;
 *   <li>{@link io.github.reliability4j.spring.idempotency.IdempotencyProblem} and {@code
 *       ProblemDetails} — the RFC 9457 problem types and their JSON;
 *   <li>{@code IdempotentHandlerVerifier} — start-up checks (safe methods, reactive applications).
 * </ul>
 *
 * <p>Settings: {@link io.github.reliability4j.spring.idempotency.IdempotencyProperties} ({@code
 * reliability.idempotency.*}), validated by the core and JDBC builders that own each setting.
 */
package io.github.reliability4j.spring.idempotency;
