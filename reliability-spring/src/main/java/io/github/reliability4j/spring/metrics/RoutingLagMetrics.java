package io.github.reliability4j.spring.metrics;

import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Replica gauges read from the router's lag view (the lag monitor's last samples; reading a gauge
 * never queries a database):
 *
 * <ul>
 *   <li>{@code reliability.routing.replica.lag.bytes} — replay lag in bytes (NaN when unknown);
 *   <li>{@code reliability.routing.replica.lag} — replay lag in seconds (NaN when unknown);
 *   <li>{@code reliability.routing.replica.admitted} — 1 while the replica receives reads, else 0.
 * </ul>
 *
 * All tagged {@code replica}.
 */
public final class RoutingLagMetrics implements MeterBinder {

  public static final String LAG_BYTES = "reliability.routing.replica.lag.bytes";
  public static final String LAG = "reliability.routing.replica.lag";
  public static final String ADMITTED = "reliability.routing.replica.admitted";

  private final ReplicaRoutingDataSource routing;

  public RoutingLagMetrics(ReplicaRoutingDataSource routing) {
    this.routing = routing;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (ReplicaStatus r : routing.lagView().replicas()) {
      String name = r.name();
      Gauge.builder(LAG_BYTES, routing, ds -> lagBytes(ds, name))
          .description("Replica replay lag behind the primary in bytes of WAL (-1 unknown)")
          .tag("node", name)
          .baseUnit("bytes")
          .register(registry);
      Gauge.builder(LAG, routing, ds -> lagSeconds(ds, name))
          .description("Replica replay lag behind the primary in time (NaN unknown)")
          .tag("node", name)
          .baseUnit("seconds")
          .register(registry);
      Gauge.builder(ADMITTED, routing, ds -> admitted(ds, name))
          .description("Whether the replica receives reads (1) or is excluded (0)")
          .tag("node", name)
          .register(registry);
    }
  }

  private static double lagBytes(ReplicaRoutingDataSource ds, String name) {
    return ds.lagView()
        .replica(name)
        .map(ReplicaStatus::lastSample)
        .filter(s -> s != null && s.isKnown())
        .map(s -> (double) s.lagBytes())
        .orElse(Double.NaN);
  }

  private static double lagSeconds(ReplicaRoutingDataSource ds, String name) {
    return ds.lagView()
        .replica(name)
        .map(ReplicaStatus::lastSample)
        .filter(s -> s != null && s.isKnown() && s.lag() != null)
        .map(s -> s.lag().toNanos() / 1e9)
        .orElse(Double.NaN);
  }

  private static double admitted(ReplicaRoutingDataSource ds, String name) {
    return ds.lagView().replica(name).map(r -> r.admitted() ? 1.0 : 0.0).orElse(Double.NaN);
  }
}
