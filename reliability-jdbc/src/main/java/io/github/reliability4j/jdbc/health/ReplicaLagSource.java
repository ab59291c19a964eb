package io.github.reliability4j.jdbc.health;

import java.util.List;

/**
 * Where replica probes read lag from: the latest samples of a lag monitor (such as the routing
 * DataSource's), so health checks add no queries of their own.
 *
 * <p>Implementations return what they already know and must not block on a database. They are
 * called on a health evaluator thread, possibly concurrently with the monitor's own updates, so
 * they must be thread-safe. A replica the source does not list is reported as unavailable by {@link
 * ReplicaLagProbe}. Adapting the routing module's {@code ReplicaLagView} is a one-liner that maps
 * each {@code ReplicaStatus} to a {@link ReplicaLagSample}.
 */
@FunctionalInterface
public interface ReplicaLagSource {

  /** Returns the latest sample of every known replica. */
  List<ReplicaLagSample> samples();
}
