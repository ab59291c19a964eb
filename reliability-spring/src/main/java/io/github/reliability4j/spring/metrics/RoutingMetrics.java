package io.github.reliability4j.spring.metrics;

import io.github.reliability4j.core.routing.CausalTokenCodec;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.ReplicaReset;
import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.core.routing.RoutingListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;

/**
 * Records routing events. Meter names:
 *
 * <ul>
 *   <li>{@code reliability.routing.decisions} (counter), tags {@code node}, {@code role}
 *       (primary/replica), {@code access} (read/write);
 *   <li>{@code reliability.routing.fallbacks} (counter), tag {@code reason} ({@link
 *       FallbackReason}, lower case);
 *   <li>{@code reliability.routing.causal.wait} (timer), tags {@code replica}, {@code covered}
 *       (whether the replica caught up in time);
 *   <li>{@code reliability.routing.tokens.rejected} (counter), tag {@code reason};
 *   <li>{@code reliability.routing.reads.refused} (counter);
 *   <li>{@code reliability.routing.replica.resets} (counter), tags {@code replica}, {@code reason}
 *       ({@link ReplicaReset}, lower case): the server behind a replica name changed or its
 *       position went backwards, and what was known of its position was dropped.
 * </ul>
 *
 * Replica lag gauges are registered by {@link RoutingLagMetrics}. Thread-safe.
 */
public final class RoutingMetrics implements RoutingListener {

  public static final String DECISIONS = "reliability.routing.decisions";
  public static final String FALLBACKS = "reliability.routing.fallbacks";
  public static final String CAUSAL_WAIT = "reliability.routing.causal.wait";
  public static final String TOKENS_REJECTED = "reliability.routing.tokens.rejected";
  public static final String READS_REFUSED = "reliability.routing.reads.refused";
  public static final String REPLICA_RESETS = "reliability.routing.replica.resets";

  private final MeterRegistry registry;

  public RoutingMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void onRoute(RouteDecision d) {
    Counter.builder(DECISIONS)
        .description("Routing decisions: the node each logical connection was sent to")
        .baseUnit("decisions")
        .tag("node", d.node())
        .tag("role", String.valueOf(d.role()).toLowerCase(Locale.ROOT))
        .tag("access", d.write() ? "write" : "read")
        .register(registry)
        .increment();
  }

  @Override
  public void onFallback(FallbackReason reason, RouteDecision decision) {
    Counter.builder(FALLBACKS)
        .description("Reads that could not go to a replica and went to the primary, by reason")
        .baseUnit("fallbacks")
        .tag("reason", reason.name().toLowerCase(Locale.ROOT))
        .register(registry)
        .increment();
  }

  @Override
  public void onCausalWait(String replica, Duration waited, boolean covered) {
    Timer.builder(CAUSAL_WAIT)
        .description("Time a read waited for a replica to reach the client's causal position")
        .tag("node", replica)
        .tag("covered", Boolean.toString(covered))
        .register(registry)
        .record(waited);
  }

  @Override
  public void onTokenRejected(String clusterId, CausalTokenCodec.Rejection reason, String token) {
    Counter.builder(TOKENS_REJECTED)
        .description(
            "Consistency tokens rejected (bad signature, other cluster, expired), by reason")
        .baseUnit("tokens")
        .tag("reason", reason.name().toLowerCase(Locale.ROOT))
        .register(registry)
        .increment();
  }

  @Override
  public void onReplicaReset(String replica, ReplicaReset reason, String detail) {
    Counter.builder(REPLICA_RESETS)
        .tag("replica", replica)
        .tag("reason", reason.name().toLowerCase(Locale.ROOT))
        .register(registry)
        .increment();
  }

  @Override
  public void onReadRefused(String reason) {
    Counter.builder(READS_REFUSED)
        .description("Reads refused because no node could serve them at the required consistency")
        .baseUnit("reads")
        .register(registry)
        .increment();
  }
}
