package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.ReplicaLagView;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.jdbc.health.ReplicaLagSample;
import io.github.reliability4j.jdbc.health.ReplicaLagSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Feeds the health module's {@link io.github.reliability4j.jdbc.health.ReplicaLagProbe} from the
 * routing lag monitor, so health checks run no queries of their own:
 *
 * <pre>{@code
 * ReplicaLagProbe probe = ReplicaLagProbe.builder(routingDataSource.lagSource()).build();
 * }</pre>
 *
 * A replica is {@code available} only while it is admitted for reads; an excluded one carries the
 * reason (probe error, lag over the limit, unknown lag, circuit breaker state) and, when measured,
 * its last lag. A replica never sampled has no {@code sampledAt}. Reads only in-memory state;
 * thread-safe.
 */
public final class RoutingReplicaLagSource implements ReplicaLagSource {

  private final ReplicaLagView view;

  private RoutingReplicaLagSource(ReplicaLagView view) {
    this.view = Objects.requireNonNull(view, "view");
  }

  public static RoutingReplicaLagSource of(ReplicaLagView view) {
    return new RoutingReplicaLagSource(view);
  }

  @Override
  public List<ReplicaLagSample> samples() {
    List<ReplicaStatus> replicas = view.replicas();
    List<ReplicaLagSample> out = new ArrayList<>(replicas.size());
    for (ReplicaStatus r : replicas) {
      out.add(map(r));
    }
    return out;
  }

  private static ReplicaLagSample map(ReplicaStatus r) {
    LagSample s = r.lastSample();
    if (s == null) {
      return ReplicaLagSample.unavailable(r.name(), null, "not sampled yet");
    }
    if (r.admitted() && s.isKnown()) {
      return ReplicaLagSample.available(r.name(), s.lag(), s.lagBytes(), s.sampledAt());
    }
    String reason;
    if (s.error() != null) {
      reason = "probe failed: " + s.error();
    } else if (s.lag() == null) {
      reason = "excluded: lag unknown";
    } else {
      reason = "excluded: lag " + s.lag().toMillis() + "ms / " + s.lagBytes() + " bytes";
    }
    reason += ", circuit breaker " + r.circuitBreakerState();
    return new ReplicaLagSample(r.name(), false, s.lag(), s.lagBytes(), s.sampledAt(), reason);
  }
}
