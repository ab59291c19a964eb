package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.CausalToken;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.NodeRole;
import io.github.reliability4j.core.routing.PartitionBehavior;
import io.github.reliability4j.core.routing.ReadPreference;
import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.core.routing.RoutingOptions;
import io.github.reliability4j.core.routing.internal.ReplicaRouter;
import io.github.reliability4j.core.routing.internal.ReplicaState;
import io.github.reliability4j.core.routing.internal.RoutePlan;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * State machine of a logical connection.
 * - Logical settings (autoCommit, readOnly, isolation, ...) live here and are applied to whichever
 *   physical connection becomes current; autoCommit defaults to true as JDBC specifies, whatever
 *   the pool's default.
 * - "intent": READ if readOnly, or in auto-commit mode with an explicit non-PRIMARY read preference
 *   bound; otherwise WRITE.
 * - txActive: a statement executed since the last commit/rollback with autoCommit off. While it is
 *   set the current physical connection is never replaced.
 * - txWrote: such a statement ran on a write-routed primary; commit then captures the position.
 * - At most one physical connection per role is held; both are returned on close().
 */
/** The logical connection handed out by {@link ReplicaRoutingDataSource}. Not thread-safe. */
final class RoutingConnection extends DelegatingConnection implements RoutedConnection {

  private static final Logger LOG = LoggerFactory.getLogger(RoutingConnection.class);

  /** A physical connection and how it was routed. */
  static final class Physical {
    final String node;
    final NodeRole role;
    final Connection connection;
    final boolean forRead;
    final ReplicaState replica;

    /** The server instance this replica connection reached, or null if the dialect has none. */
    String server;

    RouteDecision decision;
    boolean fallbackPermit;

    Physical(String node, NodeRole role, Connection c, boolean forRead, ReplicaState replica) {
      this.node = node;
      this.role = role;
      this.connection = c;
      this.forRead = forRead;
      this.replica = replica;
    }
  }

  private final ReplicaRoutingDataSource ds;
  private final ReplicaRouter router;
  private final ConsistencySession sessionAtOpen;
  private boolean closed;

  private boolean autoCommit = true;
  private boolean readOnly;
  private Integer isolation;
  private String catalog;
  private String schema;
  private Integer holdability;
  private Map<String, Class<?>> typeMap;

  private Physical current;
  private Physical primaryPhysical;
  private Physical replicaPhysical;
  private boolean txActive;
  private boolean txWrote;

  /** A primary connection borrowed to answer metadata before any routing decision. */
  private Connection metadataConnection;

  private DatabaseMetaData metaData;

  /** A write-routed primary whose driver object was handed out by {@link #unwrap}. */
  private Physical unwrappedPrimary;

  RoutingConnection(ReplicaRoutingDataSource ds) {
    this.ds = ds;
    this.router = ds.router;
    this.sessionAtOpen = Consistency.currentSession().orElse(null);
  }

  // ---------------------------------------------------------------- routing

  void checkOpen() throws SQLException {
    if (closed) {
      throw new SQLException("Connection is closed", "08003");
    }
  }

  private ConsistencySession session() {
    return Consistency.currentSession()
        .orElse(sessionAtOpen != null ? sessionAtOpen : ds.defaultSession());
  }

  private RoutingOptions options() {
    RoutingOptions bound = Consistency.currentOptions();
    RoutingOptions defaults = router.policy().defaults();
    // The common case (no options bound) merges nothing and allocates nothing.
    return bound == RoutingOptions.none() ? defaults : bound.orElse(defaults);
  }

  private boolean readIntent() {
    if (readOnly) {
      return true;
    }
    if (!autoCommit) {
      return false;
    }
    ReadPreference explicit = Consistency.currentOptions().readPreference();
    return explicit != null && explicit != ReadPreference.PRIMARY;
  }

  /** The physical connection for a new statement if no routing decision is needed, else null. */
  private Physical reusableCurrent() throws SQLException {
    if (current == null) {
      return null;
    }
    if (txActive) {
      return current;
    }
    boolean read = readIntent();
    if (!read) {
      return current.role == NodeRole.PRIMARY && !current.forRead ? current : null;
    }
    if (!current.forRead) {
      return null;
    }
    if (current.role == NodeRole.PRIMARY) {
      return current;
    }
    return stillQualifies(current) ? current : null;
  }

  private boolean stillQualifies(Physical p) {
    if (!p.replica.isEligible(router.clock().instant()) || p.decision.possiblyStale()) {
      return false;
    }
    String server = p.server;
    if (server != null && !p.replica.loadBalanced() && !server.equals(p.replica.lastServer())) {
      return false;
    }
    RoutingOptions o = options();
    ConsistencyLevel level = o.consistency();
    if (level.kind() == ConsistencyLevel.Kind.STRONG
        || o.readPreference() == ReadPreference.PRIMARY) {
      return false;
    }
    if (level.kind() == ConsistencyLevel.Kind.READ_YOUR_WRITES) {
      ConsistencySession s = session();
      if (s.untrustedReason(ds.clusterId).isPresent()) {
        return false;
      }
      Optional<CausalToken> t = s.token(ds.clusterId);
      if (t.isPresent()) {
        return p.replica.covers(server, t.get().position());
      }
    }
    if (level.kind() == ConsistencyLevel.Kind.BOUNDED_STALENESS) {
      Duration st = p.replica.staleness(server, router.clock().instant());
      return st != null && st.compareTo(level.maxStaleness()) <= 0;
    }
    return server == null || p.replica.servesFresh(server, router.clock().instant());
  }

  /**
   * Whether the server {@code p} reached may serve this read. Free when what is known of that
   * server suffices (the common case: one server per replica name, token covered); otherwise one
   * round trip on {@code p} itself reads its replay position ({@code checks} counts them). A name
   * not declared load-balanced whose connection reached another server than the one sampled is
   * reset and does not qualify.
   */
  private boolean serverQualifies(Physical p, ConsistencyLevel level, ReplicationPosition token)
      throws SQLException {
    String server = p.server;
    ReplicaState r = p.replica;
    if (server == null) {
      return true;
    }
    if (!r.reached(server)) {
      return false;
    }
    ConsistencyLevel.Kind kind = level.kind();
    Instant now = router.clock().instant();
    if (kind == ConsistencyLevel.Kind.READ_YOUR_WRITES && token != null) {
      if (r.covers(server, token)) {
        return true;
      }
    } else if (!r.loadBalanced()) {
      return true;
    } else if (kind == ConsistencyLevel.Kind.BOUNDED_STALENESS) {
      Duration st = r.staleness(server, now);
      if (st != null && st.compareTo(level.maxStaleness()) <= 0) {
        return true;
      }
    } else if (r.servesFresh(server, now)) {
      return true;
    }
    ReplicationPosition pos = replayPositionOn(p);
    if (pos == null) {
      return false;
    }
    boolean good;
    if (r.loadBalanced()) {
      good = router.checkServerLag(r, server, pos);
    } else {
      r.observePosition(server, pos);
      good = true;
    }
    if (kind == ConsistencyLevel.Kind.READ_YOUR_WRITES && token != null) {
      return pos.covers(token);
    }
    if (kind == ConsistencyLevel.Kind.BOUNDED_STALENESS) {
      Duration st = r.staleness(server, now);
      return st != null && st.compareTo(level.maxStaleness()) <= 0;
    }
    return good;
  }

  /** The replay position read on {@code p} in auto-commit mode (no early snapshot). */
  private ReplicationPosition replayPositionOn(Physical p) throws SQLException {
    Connection c = p.connection;
    boolean ac = c.getAutoCommit();
    if (!ac) {
      c.setAutoCommit(true);
    }
    try {
      return ds.dialect.replayPosition(c);
    } finally {
      if (!ac) {
        c.setAutoCommit(false);
      }
    }
  }

  /** For statement creation: a physical connection now, or null to defer until execution. */
  private Physical physicalForCreate() throws SQLException {
    checkOpen();
    Physical p = reusableCurrent();
    if (p != null) {
      return p;
    }
    if (readIntent()) {
      return null;
    }
    return attachPrimaryForWrite();
  }

  /** For deferred statements and other operations that need a node now. */
  Physical physicalForRead(int queryTimeoutSeconds) throws SQLException {
    checkOpen();
    Physical p = reusableCurrent();
    if (p != null) {
      return p;
    }
    return readIntent() ? routeRead(queryTimeoutSeconds) : attachPrimaryForWrite();
  }

  private Physical attachPrimaryForWrite() throws SQLException {
    Physical p = primaryPhysical;
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
      primaryPhysical = p;
      applyState(p);
      router.listener().onRoute(p.decision);
    } else {
      applyState(p);
    }
    current = p;
    return p;
  }

  private Physical routeRead(int queryTimeoutSeconds) throws SQLException {
    RoutingOptions o = options();
    ConsistencyLevel level = o.consistency();
    ReadPreference pref = o.readPreference();
    ConsistencySession session = session();
    boolean untrusted = session.untrustedReason(ds.clusterId).isPresent();
    Optional<CausalToken> sessionToken = session.token(ds.clusterId);
    ReplicationPosition token = sessionToken.isPresent() ? sessionToken.get().position() : null;
    RoutePlan plan = router.plan(level, pref, token, untrusted);
    SQLException lastError = null;
    boolean primaryDown = false;
    FallbackReason reason = plan.fallbackReason();

    if (plan.primaryFirst()) {
      try {
        return attachPrimaryForRead(level, pref, null, false);
      } catch (SQLException e) {
        lastError = e;
        primaryDown = true;
        reason = FallbackReason.PRIMARY_UNREACHABLE;
      }
    }
    boolean strongOnly =
        level.kind() == ConsistencyLevel.Kind.STRONG || pref == ReadPreference.PRIMARY;
    if (!strongOnly) {
      List<ReplicaState> ready = plan.ready();
      boolean anyTried = false;
      for (int i = 0; i < ready.size(); i++) {
        anyTried = true;
        Physical p = tryReplica(ready.get(i));
        if (p != null) {
          if (!qualifiesOrRelease(p, level, token)) {
            reason = token != null ? FallbackReason.TOKEN_NOT_COVERED : reason;
            continue;
          }
          return attachReplica(
              p, level, pref, primaryDown ? FallbackReason.PRIMARY_UNREACHABLE : null, false);
        }
      }
      if (anyTried && reason != FallbackReason.TOKEN_NOT_COVERED) {
        reason = FallbackReason.REPLICA_CONNECTION_FAILED;
      }
      Duration budget = waitBudget(o, queryTimeoutSeconds);
      if (token != null && !plan.waitCandidates().isEmpty() && !budget.isZero()) {
        // Wait on the first candidate that hands out a connection (ties are in random order).
        List<ReplicaState> candidates = plan.waitCandidates();
        for (int i = 0; i < candidates.size(); i++) {
          Physical p = tryReplica(candidates.get(i));
          if (p == null) {
            continue;
          }
          if (causalWait(p, token, budget)) {
            return attachReplica(p, level, pref, null, false);
          }
          release(p);
          replicaPhysical = null;
          break;
        }
        reason = FallbackReason.TOKEN_NOT_COVERED;
      }
      if (plan.primaryAllowed() && !primaryDown) {
        if (!router.tryAcquireFallbackPermit()) {
          String msg =
              "Read refused: no replica can serve it ("
                  + reason
                  + ") and maxConcurrentFallbackReads="
                  + router.policy().maxConcurrentFallbackReads()
                  + " reads already fell back to the primary; retry later";
          router.listener().onReadRefused(msg);
          throw new ReplicaUnavailableException(msg, level, pref, lastError);
        }
        try {
          Physical p = attachPrimaryForRead(level, pref, reason, true);
          return p;
        } catch (SQLException e) {
          router.releaseFallbackPermit();
          lastError = e;
          primaryDown = true;
        }
      } else if (!plan.primaryAllowed()) {
        String msg =
            "Read refused: read preference REPLICA but no replica can serve it ("
                + reason
                + "; "
                + describeReplicas()
                + ")";
        router.listener().onReadRefused(msg);
        throw new ReplicaUnavailableException(msg, level, pref, lastError);
      }
    }
    if (primaryDown && o.partitionBehavior() == PartitionBehavior.SERVE_POSSIBLY_STALE) {
      for (ReplicaState r : router.staleCandidates()) {
        Physical p = tryReplica(r);
        if (p != null) {
          return attachReplica(p, level, pref, FallbackReason.SERVED_POSSIBLY_STALE, true);
        }
      }
    }
    String msg =
        "Read refused: primary '"
            + ds.config.primaryName()
            + "' is unreachable"
            + (lastError != null ? " (" + lastError.getMessage() + ")" : "")
            + " and no replica satisfies "
            + level
            + " ("
            + reason
            + "; "
            + describeReplicas()
            + "); partition behaviour "
            + o.partitionBehavior();
    router.listener().onReadRefused(msg);
    throw new ReplicaUnavailableException(msg, level, pref, lastError);
  }

  private String describeReplicas() {
    StringBuilder b = new StringBuilder("replicas:");
    if (router.states().isEmpty()) {
      return "no replicas configured";
    }
    for (var s : router.replicas()) {
      b.append(' ')
          .append(s.name())
          .append(s.admitted() ? "=admitted" : "=excluded")
          .append("/breaker=")
          .append(s.circuitBreakerState());
    }
    return b.toString();
  }

  private Duration waitBudget(RoutingOptions o, int queryTimeoutSeconds) {
    Duration budget =
        o.maxCausalWait() != null ? o.maxCausalWait() : router.policy().maxCausalWait();
    if (queryTimeoutSeconds > 0) {
      Duration q = Duration.ofSeconds(queryTimeoutSeconds);
      if (q.compareTo(budget) < 0) {
        budget = q;
      }
    }
    return budget;
  }

  private boolean causalWait(Physical p, ReplicationPosition token, Duration budget)
      throws SQLException {
    long start = System.nanoTime();
    long deadline = start + budget.toNanos();
    long pollNanos = router.policy().causalPollInterval().toNanos();
    boolean covered = false;
    try {
      // Poll in auto-commit mode: a read-only REPEATABLE READ transaction must not take its
      // snapshot before the replica has caught up.
      p.connection.setAutoCommit(true);
      if (ds.dialect.waitsOnServer()) {
        covered = ds.dialect.awaitReplay(p.connection, token, budget);
        if (covered) {
          p.replica.observePosition(p.server, token);
        }
      }
      while (!ds.dialect.waitsOnServer()) {
        ReplicationPosition pos = ds.dialect.replayPosition(p.connection);
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
        p.replica.circuitBreaker().onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
        p.replica.connectionFailed(e);
      }
    }
    router.listener().onCausalWait(p.node, Duration.ofNanos(System.nanoTime() - start), covered);
    return covered;
  }

  /** {@link #serverQualifies}; a connection that does not qualify, or fails, is released. */
  private boolean qualifiesOrRelease(Physical p, ConsistencyLevel level, ReplicationPosition token)
      throws SQLException {
    try {
      if (serverQualifies(p, level, token)) {
        return true;
      }
    } catch (SQLException e) {
      if (!RoutedStatement.isConnectionError(e)) {
        throw e;
      }
      p.replica.circuitBreaker().onError(0, TimeUnit.NANOSECONDS, e);
      p.replica.connectionFailed(e);
    }
    release(p);
    if (replicaPhysical == p) {
      replicaPhysical = null;
    }
    return false;
  }

  private Physical tryReplica(ReplicaState r) throws SQLException {
    if (replicaPhysical != null) {
      if (replicaPhysical.replica == r) {
        return replicaPhysical;
      }
      release(replicaPhysical);
      replicaPhysical = null;
    }
    if (!r.circuitBreaker().tryAcquirePermission()) {
      return null;
    }
    long t0 = System.nanoTime();
    Connection c;
    try {
      c = ds.connectReplica(r, ds.config.replicaConnectTimeout());
    } catch (SQLException e) {
      r.circuitBreaker().onError(System.nanoTime() - t0, TimeUnit.NANOSECONDS, e);
      r.connectionFailed(e);
      return null;
    }
    Physical p = new Physical(r.name(), NodeRole.REPLICA, c, true, r);
    try {
      applyState(p);
      p.server = ds.serverOf(c);
    } catch (SQLException e) {
      closeQuietly(c);
      if (!RoutedStatement.isConnectionError(e)) {
        r.circuitBreaker().onSuccess(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        throw e;
      }
      r.circuitBreaker().onError(System.nanoTime() - t0, TimeUnit.NANOSECONDS, e);
      r.connectionFailed(e);
      return null;
    }
    r.circuitBreaker().onSuccess(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    r.acquired();
    replicaPhysical = p;
    return p;
  }

  private Physical attachReplica(
      Physical p,
      ConsistencyLevel level,
      ReadPreference pref,
      FallbackReason fallback,
      boolean stale)
      throws SQLException {
    p.decision = new RouteDecision(p.node, NodeRole.REPLICA, level, pref, false, fallback, stale);
    applyState(p);
    current = p;
    router.listener().onRoute(p.decision);
    if (fallback != null) {
      router.listener().onFallback(fallback, p.decision);
    }
    return p;
  }

  private Physical attachPrimaryForRead(
      ConsistencyLevel level, ReadPreference pref, FallbackReason fallback, boolean permit)
      throws SQLException {
    if (primaryPhysical != null) {
      release(primaryPhysical);
      primaryPhysical = null;
    }
    Connection c = ds.connectPrimaryForRead();
    Physical p = new Physical(ds.config.primaryName(), NodeRole.PRIMARY, c, true, null);
    p.fallbackPermit = permit;
    p.decision = new RouteDecision(p.node, NodeRole.PRIMARY, level, pref, false, fallback, false);
    primaryPhysical = p;
    try {
      applyState(p);
    } catch (SQLException e) {
      release(p);
      primaryPhysical = null;
      throw e;
    }
    current = p;
    router.listener().onRoute(p.decision);
    if (fallback != null) {
      router.listener().onFallback(fallback, p.decision);
    }
    return p;
  }

  private void applyState(Physical p) throws SQLException {
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

  private void release(Physical p) {
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
    if (p.replica != null) {
      p.replica.released();
    }
    if (p.fallbackPermit) {
      p.fallbackPermit = false;
      router.releaseFallbackPermit();
    }
    closeQuietly(p.connection);
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      LOG.debug("closing a physical connection failed", e);
    }
  }

  // ---------------------------------------------------------------- bookkeeping

  boolean isRetryableRead(Physical p) {
    return p.role == NodeRole.REPLICA && (autoCommit || !txActive);
  }

  /** A statement on {@code p} failed with a connection error: eject the replica, drop {@code p}. */
  void replicaBroken(Physical p, SQLException error) {
    LOG.debug("replica {} failed during a read; re-routing", p.node, error);
    p.replica.circuitBreaker().onError(0, TimeUnit.NANOSECONDS, error);
    p.replica.connectionFailed(error);
    txActive = false;
    release(p);
    if (replicaPhysical == p) {
      replicaPhysical = null;
    }
  }

  /**
   * Whether a statement may have written. Everything on a write-routed primary connection counts;
   * on a primary connection routed for a read only executeQuery is trusted to be a read (PgJDBC's
   * default readOnlyMode does not enforce read-only in auto-commit mode, so a write could slip
   * through there and must still advance the session).
   */
  private static boolean mayWrite(Physical p, boolean query) {
    return p.role == NodeRole.PRIMARY && (!p.forRead || !query);
  }

  /** A statement is about to execute on {@code p}; {@code query} if it is {@code executeQuery}. */
  void beforeExecute(Physical p, boolean query) throws SQLException {
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

  private void endTransaction(boolean committed) {
    boolean wrote = txWrote;
    txActive = false;
    txWrote = false;
    if (committed && wrote && current != null) {
      capturePosition(current);
    }
  }

  // ---------------------------------------------------------------- statements

  @Override
  public Statement createStatement() throws SQLException {
    return routed(new RoutedStatement<Statement>(this, RoutedStatement.Overload.PLAIN, 0, 0, 0));
  }

  @Override
  public Statement createStatement(int type, int concurrency) throws SQLException {
    return routed(
        new RoutedStatement<Statement>(
            this, RoutedStatement.Overload.TYPE_CONCURRENCY, type, concurrency, 0));
  }

  @Override
  public Statement createStatement(int type, int concurrency, int hold) throws SQLException {
    return routed(
        new RoutedStatement<Statement>(
            this, RoutedStatement.Overload.TYPE_CONCURRENCY_HOLDABILITY, type, concurrency, hold));
  }

  @Override
  public PreparedStatement prepareStatement(String sql) throws SQLException {
    return routed(
        new RoutedPreparedStatement<PreparedStatement>(
            this, sql, RoutedStatement.Overload.PLAIN, 0, 0, 0));
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int type, int concurrency)
      throws SQLException {
    return routed(
        new RoutedPreparedStatement<PreparedStatement>(
            this, sql, RoutedStatement.Overload.TYPE_CONCURRENCY, type, concurrency, 0));
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int type, int concurrency, int hold)
      throws SQLException {
    return routed(
        new RoutedPreparedStatement<PreparedStatement>(
            this,
            sql,
            RoutedStatement.Overload.TYPE_CONCURRENCY_HOLDABILITY,
            type,
            concurrency,
            hold));
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int autoGeneratedKeys) throws SQLException {
    return routed(new RoutedPreparedStatement<PreparedStatement>(this, sql, autoGeneratedKeys));
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int[] columnIndexes) throws SQLException {
    return routed(new RoutedPreparedStatement<PreparedStatement>(this, sql, columnIndexes));
  }

  @Override
  public PreparedStatement prepareStatement(String sql, String[] columnNames) throws SQLException {
    return routed(new RoutedPreparedStatement<PreparedStatement>(this, sql, columnNames));
  }

  @Override
  public CallableStatement prepareCall(String sql) throws SQLException {
    return routed(new RoutedCallableStatement(this, sql, RoutedStatement.Overload.PLAIN, 0, 0, 0));
  }

  @Override
  public CallableStatement prepareCall(String sql, int type, int concurrency) throws SQLException {
    return routed(
        new RoutedCallableStatement(
            this, sql, RoutedStatement.Overload.TYPE_CONCURRENCY, type, concurrency, 0));
  }

  @Override
  public CallableStatement prepareCall(String sql, int type, int concurrency, int hold)
      throws SQLException {
    return routed(
        new RoutedCallableStatement(
            this,
            sql,
            RoutedStatement.Overload.TYPE_CONCURRENCY_HOLDABILITY,
            type,
            concurrency,
            hold));
  }

  /** Creates {@code s}'s physical statement now, or defers it to its first execution. */
  private <S extends RoutedStatement<?>> S routed(S s) throws SQLException {
    s.attach(physicalForCreate());
    return s;
  }

  // ---------------------------------------------------------------- transactions

  @Override
  public void setAutoCommit(boolean autoCommit) throws SQLException {
    checkOpen();
    if (autoCommit == this.autoCommit) {
      return;
    }
    if (current != null) {
      current.connection.setAutoCommit(autoCommit);
    }
    this.autoCommit = autoCommit;
    if (autoCommit) {
      // Switching auto-commit on commits the open transaction (JDBC).
      endTransaction(true);
    }
  }

  @Override
  public boolean getAutoCommit() throws SQLException {
    checkOpen();
    return autoCommit;
  }

  @Override
  public void commit() throws SQLException {
    checkOpen();
    // JDBC requires this even where a driver (H2) silently accepts it.
    if (autoCommit) {
      throw new SQLException("Cannot commit when autoCommit is enabled", "25000");
    }
    if (current == null) {
      return;
    }
    current.connection.commit();
    endTransaction(true);
  }

  @Override
  public void rollback() throws SQLException {
    checkOpen();
    // JDBC requires this even where a driver (H2) silently accepts it.
    if (autoCommit) {
      throw new SQLException("Cannot rollback when autoCommit is enabled", "25000");
    }
    if (current == null) {
      return;
    }
    current.connection.rollback();
    endTransaction(false);
  }

  @Override
  public void rollback(Savepoint savepoint) throws SQLException {
    checkOpen();
    requireCurrent("rollback(Savepoint)").connection.rollback(savepoint);
  }

  @Override
  public Savepoint setSavepoint() throws SQLException {
    Physical p = physicalForRead(0);
    Savepoint s = p.connection.setSavepoint();
    txActive = !autoCommit;
    return s;
  }

  @Override
  public Savepoint setSavepoint(String name) throws SQLException {
    Physical p = physicalForRead(0);
    Savepoint s = p.connection.setSavepoint(name);
    txActive = !autoCommit;
    return s;
  }

  @Override
  public void releaseSavepoint(Savepoint savepoint) throws SQLException {
    checkOpen();
    requireCurrent("releaseSavepoint").connection.releaseSavepoint(savepoint);
  }

  private Physical requireCurrent(String op) throws SQLException {
    if (current == null) {
      throw new SQLException(op + " without an active transaction", "3B001");
    }
    return current;
  }

  @Override
  public void setReadOnly(boolean readOnly) throws SQLException {
    checkOpen();
    if (readOnly == this.readOnly) {
      return;
    }
    if (txActive) {
      throw new SQLException(
          "Cannot change the read-only mode in the middle of a transaction", "25001");
    }
    this.readOnly = readOnly;
  }

  @Override
  public boolean isReadOnly() throws SQLException {
    checkOpen();
    return readOnly;
  }

  @Override
  public void setTransactionIsolation(int level) throws SQLException {
    applyToCurrent(c -> c.setTransactionIsolation(level));
    isolation = level;
  }

  @Override
  public int getTransactionIsolation() throws SQLException {
    checkOpen();
    if (isolation != null) {
      return isolation;
    }
    return physicalForRead(0).connection.getTransactionIsolation();
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void close() throws SQLException {
    if (closed) {
      return;
    }
    closed = true;
    releaseMetadataConnection();
    if (primaryPhysical != null) {
      release(primaryPhysical);
    }
    if (replicaPhysical != null) {
      release(replicaPhysical);
    }
    primaryPhysical = null;
    replicaPhysical = null;
    current = null;
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public void abort(Executor executor) throws SQLException {
    if (closed) {
      return;
    }
    closed = true;
    unwrappedPrimary = null;
    releaseMetadataConnection();
    for (Physical p : new Physical[] {primaryPhysical, replicaPhysical}) {
      if (p != null) {
        if (p.replica != null) {
          p.replica.released();
        }
        if (p.fallbackPermit) {
          router.releaseFallbackPermit();
        }
        p.connection.abort(executor);
      }
    }
    primaryPhysical = null;
    replicaPhysical = null;
    current = null;
  }

  @Override
  public boolean isValid(int timeout) throws SQLException {
    if (timeout < 0) {
      throw new SQLException("timeout must be >= 0, but was " + timeout, "22023");
    }
    return !closed && (current == null || current.connection.isValid(timeout));
  }

  @Override
  public Optional<RouteDecision> routeDecision() {
    return current == null ? Optional.empty() : Optional.ofNullable(current.decision);
  }

  // ---------------------------------------------------------------- recorded settings

  /** A logical setting applied to a physical connection. */
  @FunctionalInterface
  private interface Setting {
    void apply(Connection c) throws SQLException;
  }

  /**
   * Checks that this connection is open and applies a logical setting to the current physical
   * connection, if any; the caller keeps it for the connections routed later ({@link #applyState}).
   */
  private void applyToCurrent(Setting setting) throws SQLException {
    checkOpen();
    if (current != null) {
      setting.apply(current.connection);
    }
  }

  /** A logical setting read from a physical connection. */
  @FunctionalInterface
  private interface Reading<T> {
    T read(Connection c) throws SQLException;
  }

  /**
   * Checks that this connection is open; the recorded value of a logical setting, or, if it was
   * never set, the physical connection's (routing this connection first if it has not been).
   */
  private <T> T recordedOr(T recorded, Reading<T> physical) throws SQLException {
    checkOpen();
    return recorded != null ? recorded : physical.read(physicalForRead(0).connection);
  }

  @Override
  public void setCatalog(String catalog) throws SQLException {
    applyToCurrent(c -> c.setCatalog(catalog));
    this.catalog = catalog;
  }

  @Override
  public String getCatalog() throws SQLException {
    return recordedOr(catalog, Connection::getCatalog);
  }

  @Override
  public void setSchema(String schema) throws SQLException {
    applyToCurrent(c -> c.setSchema(schema));
    this.schema = schema;
  }

  @Override
  public String getSchema() throws SQLException {
    return recordedOr(schema, Connection::getSchema);
  }

  @Override
  public void setHoldability(int holdability) throws SQLException {
    applyToCurrent(c -> c.setHoldability(holdability));
    this.holdability = holdability;
  }

  @Override
  public int getHoldability() throws SQLException {
    return recordedOr(holdability, Connection::getHoldability);
  }

  @Override
  public void setTypeMap(Map<String, Class<?>> map) throws SQLException {
    applyToCurrent(c -> c.setTypeMap(map));
    this.typeMap = map;
  }

  @Override
  public Map<String, Class<?>> getTypeMap() throws SQLException {
    return recordedOr(typeMap, Connection::getTypeMap);
  }

  // ---------------------------------------------------------------- delegated

  /**
   * What {@link DelegatingConnection} forwards to (nativeSQL, create*, client info, network
   * timeout): the physical connection, routing this one first as its next statement would be.
   */
  @Override
  Connection delegate() throws SQLException {
    return physicalForRead(0).connection;
  }

  /**
   * Metadata that does not route this connection: each call is answered by the current physical
   * connection, or, before the first statement, by a primary connection borrowed for metadata only
   * (returned on {@link #close()}). Its {@code getConnection()} is this logical connection.
   */
  @Override
  public DatabaseMetaData getMetaData() throws SQLException {
    checkOpen();
    if (metaData == null) {
      metaData = RoutedDatabaseMetaData.of(this);
    }
    return metaData;
  }

  /** The physical metadata that answers the next call of {@link #getMetaData()}'s object. */
  DatabaseMetaData physicalMetaData() throws SQLException {
    checkOpen();
    return current != null ? current.connection.getMetaData() : metadataConnection().getMetaData();
  }

  private Connection metadataConnection() throws SQLException {
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

  @Override
  public SQLWarning getWarnings() throws SQLException {
    checkOpen();
    return current == null ? null : current.connection.getWarnings();
  }

  @Override
  public void clearWarnings() throws SQLException {
    checkOpen();
    if (current != null) {
      current.connection.clearWarnings();
    }
  }

  /**
   * Unwraps to this connection for the interfaces it implements ({@link RoutedConnection}). For a
   * driver type it hands out the physical connection in use, routing this connection first as its
   * next statement would be routed if it has not been routed yet. Work done directly on that object
   * bypasses routing; on a write-routed primary it counts as a possible write, so the replication
   * position is captured at the next commit, or at {@link #close()} in auto-commit mode, and
   * read-your-writes keeps holding for it.
   */
  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    checkOpen();
    Physical p = physicalForRead(0);
    Connection c = p.connection;
    T unwrapped = iface.isInstance(c) ? iface.cast(c) : c.unwrap(iface);
    if (mayWrite(p, false)) {
      unwrappedPrimary = p;
      if (!autoCommit) {
        txActive = true;
        txWrote = true;
      }
    }
    return unwrapped;
  }

  /**
   * Answers without routing this connection: from the current physical connection, or before the
   * first statement from the primary connection that answers metadata.
   */
  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return true;
    }
    checkOpen();
    Connection c = current != null ? current.connection : metadataConnection();
    return iface.isInstance(c) || c.isWrapperFor(iface);
  }

  @Override
  public String toString() {
    return "RoutingConnection["
        + (closed ? "closed" : current == null ? "not yet routed" : current.node)
        + "]";
  }
}
