package io.github.reliability4j.core.routing;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Read-only view of the replicas' lag and admission, for health probes and dashboards. Reading it
 * never touches a database: it returns what the lag monitor last measured. Thread-safe.
 */
public interface ReplicaLagView {

  /** Every configured replica, in configuration order. */
  List<ReplicaStatus> replicas();

  /** The replica named {@code name}. */
  default Optional<ReplicaStatus> replica(String name) {
    return replicas().stream().filter(r -> r.name().equals(name)).findFirst();
  }

  /** The configured maximum replica lag beyond which a replica is excluded. */
  Duration maxLag();
}
