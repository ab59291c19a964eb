package io.github.reliability4j.core.routing;

import java.time.Duration;

/**
 * Observes routing. All methods have empty defaults; implement the ones you need.
 *
 * <p>Callbacks run synchronously: routing callbacks on the thread that routes the connection
 * (usually the thread executing the first statement), lag callbacks on the lag monitor's scheduler
 * thread, token rejections on the importing thread. Keep them fast and non-blocking. An exception
 * thrown by a callback is logged at WARN and otherwise ignored; it never fails a read or stops the
 * monitor. Implementations must be thread-safe.
 */
public interface RoutingListener {

  RoutingListener NOOP = new RoutingListener() {};

  /** A logical connection was bound to a physical node. */
  default void onRoute(RouteDecision decision) {}

  /**
   * A read did not go where its preference pointed first (also reported through {@link #onRoute}).
   */
  default void onFallback(FallbackReason reason, RouteDecision decision) {}

  /** A read-your-writes read waited for a replica to replay the session's position. */
  default void onCausalWait(String replica, Duration waited, boolean covered) {}

  /** The lag monitor sampled a replica. */
  default void onLagSample(LagSample sample) {}

  /** A replica was admitted to or excluded from reads. */
  default void onReplicaStateChange(String replica, boolean admitted, String why) {}

  /**
   * What the router knew about {@code replica}'s replay position was dropped because {@code
   * reason}: the replica is excluded from reads until the lag monitor re-samples it ({@code
   * readmitAfterSamples} good samples), and reads that need a position are checked on their own
   * connection or go to the primary meanwhile. {@code detail} names the servers or positions.
   */
  default void onReplicaReset(String replica, ReplicaReset reason, String detail) {}

  /** An imported token was rejected; {@code token} is abbreviated to at most 64 characters. */
  default void onTokenRejected(String clusterId, CausalTokenCodec.Rejection reason, String token) {}

  /**
   * A setting cannot do what it asks for, e.g. a per-read bounded-staleness bound below twice the
   * sample interval (reported once per distinct bound, also logged at WARN, on the routing thread).
   */
  default void onWarning(String message) {}

  /** A read was refused because no node could serve it (the caller gets an SQLException). */
  default void onReadRefused(String reason) {}
}
