package io.github.reliability4j.spring.idempotency;

/**
 * Thrown at start-up when an {@link Idempotent @Idempotent} annotation cannot take effect as
 * written, so the application does not start with an endpoint that silently is not protected, or
 * that replays responses it should not: a handler reachable by {@code GET}, {@code HEAD} or {@code
 * OPTIONS} without {@link Idempotent#allowSafeMethods()}, or an annotated handler in a reactive
 * (WebFlux) application, where the servlet filter never runs.
 */
public class InvalidIdempotentHandlerException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final String handler;

  /**
   * @param handler the handler, as {@code declaring class#method(parameter types)}
   * @param message what is wrong and what to do
   */
  public InvalidIdempotentHandlerException(String handler, String message) {
    super(message);
    this.handler = handler;
  }

  /** The offending handler, as {@code declaring class#method(parameter types)}. */
  public String getHandler() {
    return handler;
  }
}
