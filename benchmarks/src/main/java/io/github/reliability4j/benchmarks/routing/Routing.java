package io.github.reliability4j.benchmarks.routing;

import io.github.reliability4j.core.routing.CausalToken;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.jdbc.routing.RoutedConnection;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/** Set-up helpers shared by the routing benchmark and the round-trip report. */
public final class Routing {

  private Routing() {}

  /**
   * Reads once through {@code routing} (read-only connection, inside {@code session} if not null)
   * and fails unless the read went to {@code expectedNode}, so a benchmark measures the path it
   * names.
   */
  public static void requireReadRoutedTo(
      ReplicaRoutingDataSource routing, ConsistencySession session, String expectedNode)
      throws SQLException {
    try (Consistency.Scope scope =
            session == null ? Consistency.session() : Consistency.session(session);
        Connection c = routing.getConnection()) {
      c.setReadOnly(true);
      try (Statement s = c.createStatement()) {
        s.executeQuery("SELECT 1").close();
      }
      RouteDecision decision =
          c.unwrap(RoutedConnection.class)
              .routeDecision()
              .orElseThrow(() -> new IllegalStateException("no route decision after a read"));
      if (!decision.node().equals(expectedNode)) {
        throw new IllegalStateException(
            "read was routed to " + decision + ", expected node " + expectedNode);
      }
    }
  }

  /**
   * Writes one row through {@code routing} inside a fresh session, then samples until {@code
   * replica}'s known position covers the session's token, and returns that session.
   */
  public static ConsistencySession coveredSession(ReplicaRoutingDataSource routing, String replica)
      throws SQLException {
    return coveredSession(
        routing,
        replica,
        "CREATE TABLE IF NOT EXISTS bench_writes (id bigserial PRIMARY KEY, v int)");
  }

  /** As {@link #coveredSession(ReplicaRoutingDataSource, String)} with the database's DDL. */
  public static ConsistencySession coveredSession(
      ReplicaRoutingDataSource routing, String replica, String createTable) throws SQLException {
    ConsistencySession session = ConsistencySession.create();
    try (Consistency.Scope scope = Consistency.session(session);
        Connection c = routing.getConnection();
        Statement s = c.createStatement()) {
      s.execute(createTable);
      s.execute("INSERT INTO bench_writes (v) VALUES (1)");
    }
    CausalToken token =
        session
            .token(routing.clusterId())
            .orElseThrow(() -> new IllegalStateException("the write left no causal token"));
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      routing.sampleNow();
      Optional<ReplicaStatus> status = routing.lagView().replica(replica);
      ReplicationPosition known = status.map(ReplicaStatus::knownPosition).orElse(null);
      if (known != null && known.covers(token.position())) {
        return session;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "replica " + replica + " did not cover " + token + " within 30 s: " + status);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }
}
