package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.NodeRole;
import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.internal.ReadRoute;
import io.github.reliability4j.core.routing.internal.ReplicaState;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Carries out core's ReadRoute over JDBC and decides nothing: which step comes next, whether a
 * server qualifies, how long a causal wait may take and when a read is refused are the route's.
 * This class connects, reads replay positions, polls or waits on the server, and reports each
 * outcome back. Static methods over the connection's PhysicalConnections, so a routed read
 * allocates no executor object.
 */
/** The JDBC side of routing a read: each {@link ReadRoute.Step} over real connections. */
final class ReadSteps {

  private static final Logger LOG = LoggerFactory.getLogger(ReadSteps.class);

  private ReadSteps() {}

  /**
   * Routes a read of {@code n}'s logical connection and makes the physical connection serving it
   * current.
   *
   * @throws ReplicaUnavailableException if the route refuses the read
   */
  static Physical route(PhysicalConnections n, int queryTimeoutSeconds) throws SQLException {
    ReadRoute route = n.route();
    route.start(queryTimeoutSeconds);
    for (; ; ) {
      ReadRoute.Step step = route.next();
      switch (step) {
        case PRIMARY, FALLBACK_PRIMARY -> {
          try {
            return attachPrimary(n, route, step == ReadRoute.Step.FALLBACK_PRIMARY);
          } catch (SQLException e) {
            route.primaryFailed(e);
          }
        }
        case REPLICA -> {
          Physical p = tryReplica(n, route.replica());
          if (p != null) {
            if (qualifiesOrRelease(n, route, p)) {
              return attach(n, route, p);
            }
            route.replicaRejected();
          }
        }
        case CAUSAL_WAIT -> {
          Physical p = tryReplica(n, route.replica());
          if (p != null) {
            if (causalWait(n, p, route.token(), route.waitBudget())) {
              return attach(n, route, p);
            }
            n.release(p);
            route.waitFailed();
          }
        }
        case STALE_REPLICA -> {
          Physical p = tryReplica(n, route.replica());
          if (p != null) {
            return attach(n, route, p);
          }
        }
        case REFUSED ->
            throw new ReplicaUnavailableException(
                route.refusal(), route.level(), route.preference(), route.lastError());
      }
    }
  }

  /** Makes {@code p} current with the route's decision for the step that reached it. */
  private static Physical attach(PhysicalConnections n, ReadRoute route, Physical p)
      throws SQLException {
    p.decision = route.decision();
    n.applyState(p);
    n.current = p;
    route.served(p.decision);
    return p;
  }

  /**
   * A fresh primary connection for the read; {@code permit}: it holds the fallback's spill permit
   * from then on (a failure before that is reported to the route, which hands the permit back).
   */
  private static Physical attachPrimary(PhysicalConnections n, ReadRoute route, boolean permit)
      throws SQLException {
    if (n.primary != null) {
      n.release(n.primary);
    }
    Connection c = n.ds.connectPrimaryForRead();
    Physical p = new Physical(n.ds.config.primaryName(), NodeRole.PRIMARY, c, true, null);
    n.primary = p;
    try {
      attach(n, route, p);
    } catch (SQLException e) {
      n.release(p);
      throw e;
    }
    p.fallbackPermit = permit;
    return p;
  }

  /**
   * A connection to replica {@code r}: the one held if it is {@code r}'s, else a new one (the held
   * one is released), or null if {@code r}'s breaker refuses or connecting fails (which excludes
   * {@code r}).
   */
  private static Physical tryReplica(PhysicalConnections n, ReplicaState r) throws SQLException {
    if (n.replica != null) {
      if (n.replica.replica == r) {
        return n.replica;
      }
      n.release(n.replica);
    }
    if (!r.circuitBreaker().tryAcquirePermission()) {
      return null;
    }
    long t0 = System.nanoTime();
    Connection c;
    try {
      c = n.ds.connectReplica(r, n.ds.config.replicaConnectTimeout());
    } catch (SQLException e) {
      r.connectionFailed(System.nanoTime() - t0, e);
      return null;
    }
    Physical p = new Physical(r.name(), NodeRole.REPLICA, c, true, r);
    try {
      n.applyState(p);
      p.server = n.ds.serverOf(c);
    } catch (SQLException e) {
      PhysicalConnections.closeQuietly(c);
      if (!RoutedStatement.isConnectionError(e)) {
        r.circuitBreaker().onSuccess(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        throw e;
      }
      r.connectionFailed(System.nanoTime() - t0, e);
      return null;
    }
    r.circuitBreaker().onSuccess(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    r.acquired();
    n.replica = p;
    return p;
  }

  /**
   * Whether the server {@code p} reached may serve the read ({@link ReadRoute#checkServer}); where
   * what is known does not tell, its replay position is read on {@code p} itself (one round trip).
   * A connection that does not qualify, or fails, is released.
   */
  private static boolean qualifiesOrRelease(PhysicalConnections n, ReadRoute route, Physical p)
      throws SQLException {
    try {
      switch (route.checkServer(p.replica, p.server)) {
        case QUALIFIES:
          return true;
        case READ_POSITION:
          if (route.qualifiesAt(p.replica, p.server, replayPositionOn(n, p))) {
            return true;
          }
          break;
        default:
          break;
      }
    } catch (SQLException e) {
      if (!RoutedStatement.isConnectionError(e)) {
        throw e;
      }
      p.replica.connectionFailed(0, e);
    }
    n.release(p);
    return false;
  }

  /** The replay position read on {@code p} in auto-commit mode (no early snapshot). */
  private static ReplicationPosition replayPositionOn(PhysicalConnections n, Physical p)
      throws SQLException {
    Connection c = p.connection;
    boolean ac = c.getAutoCommit();
    if (!ac) {
      c.setAutoCommit(true);
    }
    try {
      return n.ds.dialect.replayPosition(c);
    } finally {
      if (!ac) {
        c.setAutoCommit(false);
      }
    }
  }

  /**
   * Waits until {@code p}'s server covers {@code token}, for at most {@code budget}: on the server
   * if the dialect can, else by polling its replay position every {@code causalPollInterval}.
   */
  private static boolean causalWait(
      PhysicalConnections n, Physical p, ReplicationPosition token, Duration budget)
      throws SQLException {
    ReplicationDialect dialect = n.ds.dialect;
    long start = System.nanoTime();
    long deadline = start + budget.toNanos();
    long pollNanos = n.ds.router.policy().causalPollInterval().toNanos();
    boolean covered = false;
    try {
      // Poll in auto-commit mode: a read-only REPEATABLE READ transaction must not take its
      // snapshot before the replica has caught up.
      p.connection.setAutoCommit(true);
      if (dialect.waitsOnServer()) {
        covered = dialect.awaitReplay(p.connection, token, budget);
        if (covered) {
          p.replica.observePosition(p.server, token);
        }
      }
      while (!dialect.waitsOnServer()) {
        ReplicationPosition pos = dialect.replayPosition(p.connection);
        if (pos != null) {
          p.replica.observePosition(p.server, pos);
          if (pos.covers(token)) {
            covered = true;
            break;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.sleep(Math.min(left, pollNanos));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SQLException e) {
      LOG.debug("causal wait on replica {} failed", p.node, e);
      if (RoutedStatement.isConnectionError(e)) {
        // The first connection failure on any path excludes the replica.
        p.replica.connectionFailed(System.nanoTime() - start, e);
      }
    }
    n.ds
        .router
        .listener()
        .onCausalWait(p.node, Duration.ofNanos(System.nanoTime() - start), covered);
    return covered;
  }
}
