package io.github.reliability4j.core.routing;

import java.util.Objects;

/**
 * A replication position together with the identity of the cluster it belongs to (for PostgreSQL
 * the system identifier), so positions of different clusters are never compared. Immutable and
 * thread-safe.
 */
public final class CausalToken {

  private final String clusterId;
  private final ReplicationPosition position;

  public CausalToken(String clusterId, ReplicationPosition position) {
    this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
    this.position = Objects.requireNonNull(position, "position");
  }

  public String clusterId() {
    return clusterId;
  }

  public ReplicationPosition position() {
    return position;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CausalToken t
        && t.clusterId.equals(clusterId)
        && t.position.equals(position);
  }

  @Override
  public int hashCode() {
    return Objects.hash(clusterId, position);
  }

  @Override
  public String toString() {
    return clusterId + "@" + position.encode();
  }
}
