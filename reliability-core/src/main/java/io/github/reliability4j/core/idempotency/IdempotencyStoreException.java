package io.github.reliability4j.core.idempotency;

/**
 * Thrown by {@link IdempotencyStore} implementations for infrastructure failures (connection lost,
 * statement timeout, serialization failure). The engine treats it, like any exception from a store,
 * as an outage.
 */
public class IdempotencyStoreException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public IdempotencyStoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public IdempotencyStoreException(String message) {
    super(message);
  }
}
