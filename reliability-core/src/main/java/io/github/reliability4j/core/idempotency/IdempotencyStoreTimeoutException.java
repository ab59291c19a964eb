package io.github.reliability4j.core.idempotency;

import java.time.Duration;
import java.util.Objects;

/**
 * A store call did not finish within its bound: the engine's store-call timeout elapsed (the call
 * was handed to the store executor and abandoned), or a store that bounds its own calls ({@link
 * IdempotencyStore#withCallTimeout}) gave up at that bound (a query, network or command timeout, a
 * pool that had no connection in time). Like every store failure, the engine counts it for its
 * circuit breaker and answers it with the operation's {@link OutagePolicy}.
 *
 * <p>Whether the call had an effect is unknown: a claim that timed out may still have created an
 * in-progress record, which then blocks the key until its lease expires (so the action is never run
 * twice because of it).
 */
public class IdempotencyStoreTimeoutException extends IdempotencyStoreException {

  private static final long serialVersionUID = 1L;

  private final Duration timeout;

  /**
   * @param timeout the bound that elapsed
   */
  public IdempotencyStoreTimeoutException(String message, Duration timeout, Throwable cause) {
    super(message, cause);
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  /** The bound that elapsed. */
  public Duration getTimeout() {
    return timeout;
  }
}
