package io.github.reliability4j.spring.idempotency;

import java.net.URI;

/**
 * The RFC 9457 problem types of {@link Idempotent @Idempotent} endpoints. Each has a stable {@link
 * #type() type} URI under {@value #BASE}, a fixed {@link #title() title} and one {@link #status()
 * status}; the {@code detail} member says what to do. Clients should switch on the type, never on
 * the title or the detail.
 *
 * <p>The URIs identify the problem and are not guaranteed to be dereferenceable; they never change
 * for a given problem, and a new problem gets a new URI.
 */
public enum IdempotencyProblem {
  /** No key on an operation that requires one (400). */
  KEY_MISSING("idempotency-key-missing", 400, "Idempotency key missing"),
  /**
   * The key header is repeated, empty, malformed, too long, or the key is otherwise rejected by the
   * engine (400). The request did not run.
   */
  KEY_MALFORMED("idempotency-key-malformed", 400, "Malformed idempotency key"),
  /** The body is larger than {@code reliability.idempotency.max-body-size} (413). */
  REQUEST_TOO_LARGE(
      "idempotent-request-too-large", 413, "Request body too large for an idempotent request"),
  /** A request with the same key is still being processed (409, with {@code Retry-After}). */
  KEY_IN_PROGRESS(
      "idempotency-key-in-progress", 409, "Request with this idempotency key is in progress"),
  /** The key was used before for a different request (422). */
  KEY_REUSED("idempotency-key-reused", 422, "Idempotency key reused"),
  /**
   * The store cannot be reached and {@code store-failure-mode=fail-closed} (503, with {@code
   * Retry-After}). The request did not run.
   */
  STORE_UNAVAILABLE("idempotency-store-unavailable", 503, "Idempotency store unavailable");

  /** Prefix of every type URI. */
  public static final String BASE = "https://reliability4j.github.io/problems/";

  private final URI type;
  private final int status;
  private final String title;

  IdempotencyProblem(String slug, int status, String title) {
    this.type = URI.create(BASE + slug);
    this.status = status;
    this.title = title;
  }

  /**
   * The problem's {@code type} member, e.g. {@code
   * https://reliability4j.github.io/problems/idempotency-key-missing}.
   */
  public URI type() {
    return type;
  }

  /** The HTTP status sent with this problem. */
  public int status() {
    return status;
  }

  /** The problem's {@code title} member: the same for every occurrence. */
  public String title() {
    return title;
  }
}
