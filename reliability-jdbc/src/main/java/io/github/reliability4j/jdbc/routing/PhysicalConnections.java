package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.CausalToken;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.NodeRole;
import io.github.reliability4j.core.routing.ReadPreference;
import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.core.routing.internal.ReadRoute;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * State machine of the physical side of a logical connection.
 * - Logical settings (autoCommit, readOnly, isolation, ...) are kept here and applied to whichever
 *   physical connection becomes current; autoCommit defaults to true as JDBC specifies, whatever
 *   the pool's default.
 * - txActive: a statement executed since the last commit/rollback with autoCommit off. While it is
 *   set the current physical connection is never replaced.
 * - txWrote: such a statement ran on a write-routed primary; commit then captures the position.
 * - At most one physical connection per role is held; both are returned on close().
 * - Which node serves a read is decided by core's ReadRoute; ReadSteps carries its steps out.
 */
/**
 * The physical side of a {@link RoutingConnection} (its base class, so a logical connection is one
 * object): the physical connections it holds, which of them serves its next statement, the
 * transaction bookkeeping that pins it, and the position capture after writes. Not thread-safe,
 * like the connection.
 */
abstract class PhysicalConnections extends DelegatingConnection implements ReadRoute.Owner {

  private static final Logger LOG = LoggerFactory.getLogger(PhysicalConnections.class);

  final ReplicaRoutingDataSource ds;
  private final ConsistencySession sessionAtOpen;

  /** The rules of this connection's reads; created at its first read. */
  private ReadRoute route;

  boolean closed;

  boolean autoCommit = true;
  boolean readOnly;
  Integer isolation;
  String catalog;
  String schema;
  Integer holdability;
  Map<String, Class<?>> typeMap;

  Physical current;
  Physical primary;
  Physical replica;
  boolean txActive;
  boolean txWrote;

  /** A write-routed primary whose driver object was handed out by unwrap. */
  private Physical unwrappedPrimary;

  /** A primary connection borrowed to answer metadata before any routing decision. */
  private Connection metadataConnection;

  PhysicalConnections(ReplicaRoutingDataSource ds) {
    this.ds = ds;
    this.sessionAtOpen = Consistency.currentSession().orElse(null);
  }

  final void checkOpen() throws SQLException {
    if (closed) {
      throw new SQLException("Connection is closed", "08003");
    }
  }

  final ReadRoute route() {
    ReadRoute r = route;
    if (r == null) {
      r = new ReadRoute(ds.router, this);
      route = r;
    }
    return r;
  }

  @Override
  public final String clusterId() {
    return ds.clusterId;
  }

  @Override
  public final String primaryName() {
    return ds.config.primaryName();
  }

  @Override
  public final ConsistencySession session() {
    return ReadRoute.session(sessionAtOpen, ds.defaultSession());
  }

  private boolean readIntent() {
    return ReadRoute.readIntent(readOnly, autoCommit);
  }

  /** The physical connection for a new statement if no routing decision is needed, else null. */
  private Physical reusableCurrent(boolean read) {
    Physical c = current;
    if (c == null) {
      return null;
    }
    if (txActive) {
      return c;
    }
    if (!read) {
      return c.role == NodeRole.PRIMARY && !c.forRead ? c : null;
    }
    if (!c.forRead) {
      return null;
    }
    if (c.role == NodeRole.PRIMARY) {
      return c;
    }
    return route().stillQualifies(c.replica, c.server, c.decision.possiblyStale()) ? c : null;
  }

  /** For statement creation: a physical connection now, or null to defer until execution. */
  final Physical physicalForCreate() throws SQLException {
    checkOpen();
    boolean read = readIntent();
    Physical p = reusableCurrent(read);
    if (p != null) {
      return p;
    }
    return read ? null : attachPrimaryForWrite();
  }

  /** For deferred statements and other operations that need a node now. */
  final Physical physicalForRead(int queryTimeoutSeconds) throws SQLException {
    checkOpen();
    boolean read = readIntent();
    Physical p = reusableCurrent(read);
    if (p != null) {
      return p;
    }
    return read ? ReadSteps.route(this, queryTimeoutSeconds) : attachPrimaryForWrite();
  }

  private Physical attachPrimaryForWrite() throws SQLException {
    Physical p = primary;
    if (p == null || p.forRead) {
      if (p != null) {
        release(p);
      }
      p =
          new Physical(
              ds.config.primaryName(),
              NodeRole.PRIMARY,
              ds.config.primary().getConnection(),
              false,
              null);
      p.decision =
          new RouteDecision(
              p.node,
              NodeRole.PRIMARY,
              ConsistencyLevel.STRONG,
              ReadPreference.PRIMARY,
              true,
              null,
              false);
      primary = p;
      applyState(p);
      ds.router.listener().onRoute(p.decision);
    } else {
      applyState(p);
    }
    current = p;
    return p;
  }

  /** Applies the logical settings to {@code p}; a connection routed for a read is read-only. */
  void applyState(Physical p) throws SQLException {
    Connection c = p.connection;
    if (c.getAutoCommit() != autoCommit) {
      c.setAutoCommit(autoCommit);
    }
    boolean ro = p.forRead || readOnly;
    if (c.isReadOnly() != ro) {
      c.setReadOnly(ro);
    }
    if (isolation != null && c.getTransactionIsolation() != isolation) {
      c.setTransactionIsolation(isolation);
    }
    if (catalog != null) {
      c.setCatalog(catalog);
    }
    if (schema != null) {
      c.setSchema(schema);
    }
    if (holdability != null) {
      c.setHoldability(holdability);
    }
    if (typeMap != null) {
      c.setTypeMap(typeMap);
    }
  }

  /** Returns {@code p} to its pool and forgets it; hands back its replica count and permit. */
  void release(Physical p) {
    if (p == unwrappedPrimary) {
      unwrappedPrimary = null;
      if (autoCommit) {
        // Work done on the unwrapped driver connection may have written outside our statements.
        capturePosition(p);
      }
    }
    if (p == current) {
      current = null;
    }
    if (p == primary) {
      primary = null;
    }
    if (p == replica) {
      replica = null;
    }
    if (p.replica != null) {
      p.replica.released();
    }
    if (p.fallbackPermit) {
      p.fallbackPermit = false;
      ds.router.releaseFallbackPermit();
    }
    closeQuietly(p.connection);
  }

  static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      LOG.debug("closing a physical connection failed", e);
    }
  }

  /** The primary connection that answers metadata while none is current; borrowed once. */
  Connection metadataConnection() throws SQLException {
    if (metadataConnection == null) {
      metadataConnection = ds.config.primary().getConnection();
    }
    return metadataConnection;
  }

  private void releaseMetadataConnection() {
    Connection c = metadataConnection;
    metadataConnection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        LOG.debug("closing the metadata connection failed", e);
      }
    }
  }

  /** Releases every physical connection held. */
  void releaseAll() {
    releaseMetadataConnection();
    if (primary != null) {
      release(primary);
    }
    if (replica != null) {
      release(replica);
    }
    current = null;
  }

  /** Aborts every physical connection held; see {@link Connection#abort}. */
  void abortAll(Executor executor) throws SQLException {
    unwrappedPrimary = null;
    releaseMetadataConnection();
    for (Physical p : new Physical[] {primary, replica}) {
      if (p != null) {
        if (p.replica != null) {
          p.replica.released();
        }
        if (p.fallbackPermit) {
          ds.router.releaseFallbackPermit();
        }
        p.connection.abort(executor);
      }
    }
    primary = null;
    replica = null;
    current = null;
  }

  // ---------------------------------------------------------------- bookkeeping

  boolean isRetryableRead(Physical p) {
    return p.role == NodeRole.REPLICA && (autoCommit || !txActive);
  }

  /** A statement on {@code p} failed with a connection error: eject the replica, drop {@code p}. */
  void replicaBroken(Physical p, SQLException error) {
    LOG.debug("replica {} failed during a read; re-routing", p.node, error);
    p.replica.connectionFailed(0, error);
    txActive = false;
    release(p);
  }

  /**
   * Whether a statement may have written. Everything on a write-routed primary connection counts;
   * on a primary connection routed for a read only executeQuery is trusted to be a read (PgJDBC's
   * default readOnlyMode does not enforce read-only in auto-commit mode, so a write could slip
   * through there and must still advance the session).
   */
  static boolean mayWrite(Physical p, boolean query) {
    return p.role == NodeRole.PRIMARY && (!p.forRead || !query);
  }

  /** A statement is about to execute on {@code p}; {@code query} if it is {@code executeQuery}. */
  final void beforeExecute(Physical p, boolean query) throws SQLException {
    checkOpen();
    if (!autoCommit) {
      txActive = true;
      if (mayWrite(p, query)) {
        txWrote = true;
      }
    }
  }

  void afterExecute(Physical p, boolean query) {
    if (autoCommit && mayWrite(p, query)) {
      capturePosition(p);
    }
  }

  /** The driver object of {@code p} was handed out: work on it bypasses our statements. */
  void unwrapped(Physical p) {
    if (mayWrite(p, false)) {
      unwrappedPrimary = p;
      if (!autoCommit) {
        txActive = true;
        txWrote = true;
      }
    }
  }

  private void capturePosition(Physical p) {
    Connection c = p.connection;
    try {
      boolean ac = c.getAutoCommit();
      if (!ac) {
        c.setAutoCommit(true);
      }
      ReplicationPosition pos;
      try {
        pos = ds.dialect.sessionPosition(c);
      } finally {
        if (!ac) {
          c.setAutoCommit(false);
        }
      }
      CausalToken token = new CausalToken(ds.clusterId, pos);
      ConsistencySession s = session();
      s.advance(token);
      if (s != ds.defaultSession()) {
        ds.defaultSession().advance(token);
      }
    } catch (SQLException | RuntimeException e) {
      // The commit succeeded; without its position this session cannot trust replicas any more.
      LOG.warn("could not read the replication position after a commit on '{}'", p.node, e);
      session().markUntrusted(ds.clusterId, "position capture failed: " + e);
      ds.defaultSession().markUntrusted(ds.clusterId, "position capture failed: " + e);
    }
  }

  void endTransaction(boolean committed) {
    boolean wrote = txWrote;
    txActive = false;
    txWrote = false;
    if (committed && wrote && current != null) {
      capturePosition(current);
    }
  }
}
