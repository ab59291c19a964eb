package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.NodeRole;
import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.core.routing.internal.ReplicaState;
import java.sql.Connection;

/** A physical connection held by a {@link RoutingConnection}, and how it was routed. */
final class Physical {
  final String node;
  final NodeRole role;
  final Connection connection;
  final boolean forRead;

  /** The replica's bookkeeping, or null for the primary. */
  final ReplicaState replica;

  /** The server instance this replica connection reached, or null if the dialect has none. */
  String server;

  RouteDecision decision;

  /** Whether it holds a spill permit of a fallback read, handed back on release. */
  boolean fallbackPermit;

  Physical(String node, NodeRole role, Connection c, boolean forRead, ReplicaState replica) {
    this.node = node;
    this.role = role;
    this.connection = c;
    this.forRead = forRead;
    this.replica = replica;
  }
}
