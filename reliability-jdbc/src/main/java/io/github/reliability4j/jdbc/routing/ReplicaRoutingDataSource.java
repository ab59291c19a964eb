package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.CausalTokenCodec;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.ReplicaLagView;
import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.ReplicationProbe;
import io.github.reliability4j.core.routing.internal.ReplicaRouter;
import io.github.reliability4j.core.routing.internal.ReplicaState;
import io.github.reliability4j.core.routing.internal.SafeListener;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.slf4j.LoggerFactory;

/**
 * A {@link DataSource} over one primary and N replicas that routes each logical connection and
 * gives read-your-writes by replication position.
 *
 * <h2>Routing</h2>
 *
 * A logical connection chooses its physical node lazily, when the first statement executes (reads)
 * or is created (writes). It goes to a replica when it is read-only ({@code setReadOnly(true)}, as
 * Spring's {@code @Transactional(readOnly = true)} does) or, in auto-commit mode, when an explicit
 * read preference is bound with {@link io.github.reliability4j.core.routing.Consistency#options};
 * otherwise to the primary. A read-write transaction, including its leading reads, stays on the
 * primary; nothing switches mid-transaction. Connections routed for reads are set read-only, so a
 * write through them fails with the database's read-only error. Between transactions a logical
 * connection may switch nodes; it keeps at most one physical connection per role.
 *
 * <h2>Read-your-writes</h2>
 *
 * After a transaction that executed a statement on the primary commits (or after each such
 * statement in auto-commit mode), the dialect's position is read on the same physical connection
 * and merged into the thread's {@link ConsistencySession} (see {@link
 * io.github.reliability4j.core.routing.Consistency#session()}) — or, when none is bound, into this
 * data source's {@link #defaultSession() default session}, which every unscoped read honours. A
 * read-your-writes read uses a replica whose last known position covers the session's position (no
 * extra round trip); else waits on the freshest replica for at most {@code maxCausalWait}, never
 * longer than the statement's query timeout; else reads from the primary.
 *
 * <h2>Which server a read reached</h2>
 *
 * Replay positions are kept per server instance ({@link ReplicationDialect#serverInstance}: for
 * PostgreSQL address, port and postmaster start time), not per configured replica name, because a
 * replica's address may be a load-balanced endpoint over several standbys, or its server may be
 * replaced by one that is behind. The instance is read once per physical connection and cached with
 * it (one round trip in a pooled connection's lifetime; on every connection of an unpooled data
 * source). A read with a token runs on a replica only if the server its connection reached is known
 * to cover the token; otherwise its replay position is read on that very connection (one extra
 * round trip, only when the cached knowledge does not cover the token), and if that does not cover
 * it either the read moves on to the next replica, the causal wait or the primary. The common case
 * — one server per name, pooled connections, token covered — costs no extra round trip. A name
 * whose server changes, or whose position goes backwards, is reset (see {@link
 * RoutingConfig.Builder#loadBalancedReplica} and {@code RoutingListener.onReplicaReset}).
 *
 * <h2>What counts as a write</h2>
 *
 * Every statement executed on a connection routed to the primary for writing is assumed to write (a
 * {@code SELECT} may call a writing function), so in auto-commit mode each such statement costs one
 * extra round trip for the position; mark reads read-only to avoid it. On a connection routed to
 * the primary for a read, only {@code executeQuery} is trusted to be a read: PgJDBC's default
 * {@code readOnlyMode=transaction} does not enforce read-only in auto-commit mode, so other calls
 * are treated as possible writes. Set {@code readOnlyMode=always} on the primary's pool to make
 * such writes fail instead.
 *
 * <h2>Failures</h2>
 *
 * A replica is excluded at once on the first connection failure seen on any path — a read's
 * connection attempt, a connection error during a causal wait or a statement, a failed lag probe,
 * or a pool that does not hand out a connection within {@link
 * RoutingConfig.Builder#replicaConnectTimeout} — and re-admitted by the lag monitor after {@code
 * readmitAfterSamples} good samples; its circuit breaker opens on repeated failures. A read never
 * waits for a replica's pool longer than {@code replicaConnectTimeout}, however long the pool's own
 * timeout (see {@link RoutingConfig} for how the two interact). A read whose first statement fails
 * on a replica with a connection error is re-routed once, transparently. When no node can serve a
 * read the caller gets a {@link ReplicaUnavailableException} (retryable). A token that cannot be
 * verified never fails a read: the session's reads go to the primary.
 *
 * <h2>While the primary is down</h2>
 *
 * The lag monitor samples the primary and each replica in separate tasks, so a primary probe that
 * hangs never delays replica samples. While the primary's latest probe has failed, replicas are
 * judged by what they have replayed: one that has replayed the newest primary position the monitor
 * saw has lag zero and keeps serving reads without a token and reads whose token it covers (see
 * {@link ReplicaRouter#sampleReplica} for the exact meaning of lag then). Reads it cannot serve — a
 * token no replica has replayed (after the causal wait), a bounded-staleness bound shorter than the
 * time since the primary was last seen — follow their {@link
 * io.github.reliability4j.core.routing.PartitionBehavior}; their attempt to fall back to the
 * primary is bounded by {@code replicaConnectTimeout}.
 *
 * <h2>Not guaranteed</h2>
 *
 * Bounded staleness is measured with the lag monitor's sample interval as resolution and is never
 * combined with the session's token. The time-window dialect guesses; it is no guarantee.
 * Statements stay bound to the physical connection they were created on.
 *
 * <h2>Lifecycle and threads</h2>
 *
 * The constructor validates every node (role, cluster, duplicates), samples lag once and starts the
 * background lag monitor. {@link #close()} stops the monitor; it never closes the pools you passed
 * in. The data source is thread-safe; its connections, like any JDBC connection, are not.
 */
public final class ReplicaRoutingDataSource implements DataSource, AutoCloseable {

  private static final org.slf4j.Logger LOG =
      LoggerFactory.getLogger(ReplicaRoutingDataSource.class);

  final RoutingConfig config;
  final ReplicationDialect dialect;
  final ReplicaRouter router;
  final String clusterId;
  final SafeListener listener;
  private final CausalTokenCodec codec;
  private final ConsistencySession defaultSession = ConsistencySession.create();
  private final ReplicationProbe probe;
  private final ScheduledExecutorService ownedScheduler;
  private volatile boolean closed;

  /**
   * Validates the nodes and starts routing.
   *
   * @throws RoutingConfigurationException if the primary is unreachable or in recovery, a replica
   *     is not in recovery, two nodes are the same server, a replica belongs to another cluster, or
   *     the database has no supported dialect (each message names the node)
   */
  public ReplicaRoutingDataSource(RoutingConfig config) {
    this.config = config;
    this.listener = new SafeListener(config.listeners());
    ReplicationDialect d = config.dialect();
    Map<String, String> identities = new HashMap<>();
    String cluster;
    try (Connection c = config.primary().getConnection()) {
      if (d == null) {
        d = ReplicationDialects.detect(c.getMetaData(), config.primaryName());
      }
      if (d.isInRecovery(c).orElse(false)) {
        throw new RoutingConfigurationException(
            config.primaryName(),
            "primary '"
                + config.primaryName()
                + "' is in recovery ("
                + d.roleCheckDescription()
                + " = true): it is a standby; point the primary at the read-write server",
            null);
      }
      cluster = NodeChecks.clusterIdOf(d, c, config.primaryName());
      d.nodeIdentity(c).ifPresent(id -> identities.put(id, config.primaryName()));
    } catch (SQLException e) {
      throw new RoutingConfigurationException(
          config.primaryName(),
          "cannot connect to primary '" + config.primaryName() + "': " + e.getMessage(),
          e);
    } catch (RoutingConfigurationException e) {
      throw NodeChecks.named(e, "primary", config.primaryName());
    }
    this.dialect = d;
    this.clusterId = cluster;
    for (String name : config.replicaNames()) {
      NodeChecks.replica(config, d, cluster, name, identities);
    }
    if (!d.isExact()) {
      LOG.warn(
          "Replica routing uses the time-window dialect {}: read-your-writes is a time guess, not"
              + " a replication position; a replica lagging beyond the window serves stale reads",
          d);
    }
    byte[] key = config.tokenKey();
    if (key == null) {
      key = new byte[32];
      new SecureRandom().nextBytes(key);
      LOG.info(
          "No tokenKey configured: exported consistency tokens are valid only in this instance");
    }
    this.codec =
        new CausalTokenCodec(key, clusterId, dialect.name(), dialect::parsePosition, listener);
    this.router =
        new ReplicaRouter(
            config.policy(),
            config.replicaNames(),
            config.loadBalancedReplicas(),
            listener,
            config.clock(),
            System::nanoTime);
    this.probe = new JdbcProbe();
    router.sampleAll(probe);
    if (config.monitorEnabled() && !config.replicaNames().isEmpty()) {
      ScheduledExecutorService s = config.scheduler();
      if (s == null) {
        ownedScheduler = newScheduler(Math.min(config.replicaNames().size() + 1, 4));
        s = ownedScheduler;
      } else {
        ownedScheduler = null;
      }
      router.startMonitoring(s, probe);
    } else {
      ownedScheduler = null;
    }
  }

  private static ScheduledExecutorService newScheduler(int threads) {
    AtomicInteger n = new AtomicInteger();
    ScheduledThreadPoolExecutor s =
        new ScheduledThreadPoolExecutor(
            threads,
            r -> {
              Thread t = new Thread(r, "reliability4j-lag-monitor-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    s.setRemoveOnCancelPolicy(true);
    return s;
  }

  /**
   * A new logical connection. Cheap: no physical connection is taken until the first statement.
   *
   * @throws SQLException "DataSource is closed" after {@link #close()}
   */
  @Override
  public Connection getConnection() throws SQLException {
    if (closed) {
      throw new SQLException("DataSource is closed", "08003");
    }
    return new RoutingConnection(this);
  }

  /** Not supported: credentials belong to the underlying pools. */
  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException(
        "ReplicaRoutingDataSource does not accept credentials; configure them on the node pools");
  }

  /** The session that unscoped work uses: it holds every write made through this data source. */
  public ConsistencySession defaultSession() {
    return defaultSession;
  }

  /**
   * This cluster's id (PostgreSQL: system identifier; MariaDB: {@code mariadb:server_id=N} of the
   * primary).
   */
  public String clusterId() {
    return clusterId;
  }

  public ReplicationDialect dialect() {
    return dialect;
  }

  /**
   * The session's position on this cluster as an opaque, HMAC-signed string; empty if it has none.
   */
  public Optional<String> exportSession(ConsistencySession session) {
    return codec.export(session);
  }

  /**
   * A session holding the position in {@code exported}. Never throws for bad input: a garbage,
   * tampered or foreign-cluster token yields an untrusted session whose reads go to the primary,
   * and listeners get {@code onTokenRejected}.
   */
  public ConsistencySession importSession(String exported) {
    return codec.importSession(exported);
  }

  /** Merges {@code exported} into {@code session}; see {@link #importSession}. */
  public Optional<CausalTokenCodec.Rejection> importInto(
      ConsistencySession session, String exported) {
    return codec.importInto(session, exported);
  }

  public CausalTokenCodec tokenCodec() {
    return codec;
  }

  /**
   * Per-replica lag and admission, as last measured; never touches a database. The health probes
   * read it directly: {@code ReplicaLagProbe.builder(routingDataSource.lagView())}, {@code
   * ReplicaAvailabilityProbe.builder(routingDataSource.lagView())}.
   */
  public ReplicaLagView lagView() {
    return router;
  }

  /** Samples every node's position now, on the calling thread. */
  public void sampleNow() {
    router.sampleAll(probe);
  }

  /** Server instance per physical connection (weak keys: a closed, evicted connection goes). */
  private final Map<Connection, String> serverByConnection =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  private static final String NO_SERVER_IDENTITY = "";

  /**
   * The server instance {@code c} reached ({@link ReplicationDialect#serverInstance}), or null if
   * the dialect reports none. Queried once per physical connection: the answer is cached by the
   * driver connection under any pool proxy, so a pooled connection costs one round trip in its
   * lifetime.
   */
  String serverOf(Connection c) throws SQLException {
    Connection key = physicalOf(c);
    String id = serverByConnection.get(key);
    if (id == null) {
      id = dialect.serverInstance(c).orElse(NO_SERVER_IDENTITY);
      serverByConnection.put(key, id);
    }
    return id.isEmpty() ? null : id;
  }

  /**
   * The driver connection under a pool's proxy (HikariCP unwraps to its delegate), else {@code c}.
   */
  private static Connection physicalOf(Connection c) {
    try {
      if (c.isWrapperFor(Connection.class)) {
        Connection u = c.unwrap(Connection.class);
        if (u != null) {
          return u;
        }
      }
    } catch (SQLException | RuntimeException e) {
      // Not unwrappable: key by the object itself (correct, only the cache may miss).
    }
    return c;
  }

  DataSource dataSource(String node) {
    return node.equals(config.primaryName()) ? config.primary() : config.replica(node);
  }

  /** Stops the lag monitor. Does not close the node pools. Idempotent. */
  @Override
  public void close() {
    closed = true;
    router.close();
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return config.primary().getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    config.primary().setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    config.primary().setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return config.primary().getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException("no java.util.logging parent logger");
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    if (config.primary().isWrapperFor(iface)) {
      return config.primary().unwrap(iface);
    }
    throw new SQLException("ReplicaRoutingDataSource is not a wrapper for " + iface.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || config.primary().isWrapperFor(iface);
  }

  @Override
  public String toString() {
    return "ReplicaRoutingDataSource[primary="
        + config.primaryName()
        + ", replicas="
        + config.replicaNames()
        + ", cluster="
        + clusterId
        + "]";
  }

  /** Excludes the replica whose connection attempt timed out (no allocation per attempt). */
  private static final ConnectWatchdog.TimeoutAction<ReplicaState> EXCLUDE_ON_TIMEOUT =
      ReplicaState::connectionFailed;

  /**
   * A connection from replica {@code r}'s pool within {@code timeout}; at the deadline {@code r} is
   * excluded at once (before the stuck call returns).
   */
  Connection connectReplica(ReplicaState r, Duration timeout) throws SQLException {
    return ConnectWatchdog.SHARED.connect(
        config.replica(r.name()), r.name(), timeout, r, EXCLUDE_ON_TIMEOUT);
  }

  /**
   * A connection from the primary's pool for a read: bounded by {@code replicaConnectTimeout} while
   * the lag monitor knows the primary to be unreachable, else as long as the pool waits.
   */
  Connection connectPrimaryForRead() throws SQLException {
    if (router.primaryUnreachable() == null) {
      return config.primary().getConnection();
    }
    return ConnectWatchdog.SHARED.connect(
        config.primary(), config.primaryName(), config.replicaConnectTimeout());
  }

  private final class JdbcProbe implements ReplicationProbe {
    private final Executor direct = Runnable::run;

    @Override
    public ReplicationPosition primaryPosition() throws Exception {
      try (Connection c =
          ConnectWatchdog.SHARED.connect(
              config.primary(), config.primaryName(), config.policy().probeTimeout())) {
        bound(c);
        return dialect.currentPosition(c);
      }
    }

    @Override
    public ReplicationPosition replayPosition(String replica) throws Exception {
      return replaySample(replica).position();
    }

    @Override
    public ReplaySample replaySample(String replica) throws Exception {
      Duration timeout = config.replicaConnectTimeout();
      if (config.policy().probeTimeout().compareTo(timeout) < 0) {
        timeout = config.policy().probeTimeout();
      }
      try (Connection c = connectReplica(router.state(replica), timeout)) {
        bound(c);
        String server = serverOf(c);
        ReplaySample sample = dialect.replaySample(c, clusterId);
        return new ReplaySample(
            server,
            sample == null ? null : sample.position(),
            sample == null ? null : sample.receiveAge());
      }
    }

    private void bound(Connection c) {
      try {
        c.setNetworkTimeout(
            direct, (int) Math.min(Integer.MAX_VALUE, config.policy().probeTimeout().toMillis()));
      } catch (SQLException | UnsupportedOperationException e) {
        // Best effort: the pool's own timeouts still apply.
      }
    }
  }
}
