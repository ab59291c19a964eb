package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.RoutingListener;
import io.github.reliability4j.core.routing.RoutingPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import javax.sql.DataSource;

/**
 * Configuration of a {@link ReplicaRoutingDataSource}: one primary, any number of replicas (each a
 * {@link DataSource} from any pool), the dialect, the routing policy, the token key. Immutable once
 * built.
 *
 * <pre>{@code
 * RoutingConfig config = RoutingConfig.custom()
 *     .primary("primary", primaryPool)
 *     .replica("replica-1", replicaPool1)
 *     .replica("replica-2", replicaPool2)
 *     .tokenKey(secretBytes)
 *     .policy(RoutingPolicy.custom().maxReplicaLag(Duration.ofSeconds(5)).build())
 *     .build();
 * }</pre>
 *
 * <h2>Timeouts and the pools' own</h2>
 *
 * The router never waits for a replica's pool longer than {@link Builder#replicaConnectTimeout}
 * (default 1 s), whatever the pool's own timeout (HikariCP's default {@code connectionTimeout} is
 * 30 s): at that deadline the replica is excluded — for every read, at once — and the waiting read
 * moves on to another replica or the primary. The same bound, capped by the policy's {@code
 * probeTimeout}, applies to the lag monitor's replica probes; the primary probe's wait for a
 * connection is bounded by {@code probeTimeout}. While the lag monitor knows the primary to be
 * unreachable (its latest probe failed), a read's attempt to fall back to the primary is bounded by
 * {@code replicaConnectTimeout} too; otherwise the primary's pool timeout applies, and writes
 * always wait as long as the primary's pool says. The bound is enforced by interrupting the waiting
 * thread (the interrupt is cleared again afterwards), which pools that wait interruptibly —
 * HikariCP, DBCP, c3p0 — honour at once; a thread stuck in a socket read inside the pool (for
 * example validating a connection to a host that vanished without a reset) returns only at the
 * pool's validation timeout, though the replica is still excluded at the deadline. Size replica
 * pools so a healthy replica hands out a connection well within the bound: a pool that is merely
 * exhausted for longer also gets its replica excluded until the lag monitor readmits it.
 */
public final class RoutingConfig {

  private final String primaryName;
  private final DataSource primary;
  private final Map<String, DataSource> replicas;
  private final List<String> replicaOrder;
  private final java.util.Set<String> loadBalanced;
  private final ReplicationDialect dialect;
  private final RoutingPolicy policy;
  private final byte[] tokenKey;
  private final List<RoutingListener> listeners;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final boolean monitor;
  private final Duration replicaConnectTimeout;

  private RoutingConfig(Builder b) {
    this.primaryName = b.primaryName;
    this.primary = b.primary;
    this.replicas = Map.copyOf(b.replicas);
    this.replicaOrder = List.copyOf(b.replicas.keySet());
    this.loadBalanced = java.util.Set.copyOf(b.loadBalanced);
    this.dialect = b.dialect;
    this.policy = b.policy;
    this.tokenKey = b.tokenKey == null ? null : b.tokenKey.clone();
    this.listeners = List.copyOf(b.listeners);
    this.scheduler = b.scheduler;
    this.clock = b.clock;
    this.monitor = b.monitor;
    this.replicaConnectTimeout = b.replicaConnectTimeout;
  }

  public static Builder custom() {
    return new Builder();
  }

  public String primaryName() {
    return primaryName;
  }

  public DataSource primary() {
    return primary;
  }

  /** Replica names in configuration order. */
  public List<String> replicaNames() {
    return replicaOrder;
  }

  public DataSource replica(String name) {
    return replicas.get(name);
  }

  /**
   * Names of the replicas declared load-balanced endpoints ({@link Builder#loadBalancedReplica}).
   */
  public java.util.Set<String> loadBalancedReplicas() {
    return loadBalanced;
  }

  /** The configured dialect, or null to detect it from the primary's product name. */
  public ReplicationDialect dialect() {
    return dialect;
  }

  public RoutingPolicy policy() {
    return policy;
  }

  /** The HMAC key for exported tokens, or null (a random per-instance key is then used). */
  public byte[] tokenKey() {
    return tokenKey == null ? null : tokenKey.clone();
  }

  public List<RoutingListener> listeners() {
    return listeners;
  }

  /** The injected scheduler for the lag monitor, or null (the data source then owns one). */
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  public Clock clock() {
    return clock;
  }

  public boolean monitorEnabled() {
    return monitor;
  }

  /** The longest the router waits for a replica's pool to hand out a connection. */
  public Duration replicaConnectTimeout() {
    return replicaConnectTimeout;
  }

  /** Builds a {@link RoutingConfig}; setters validate at once. Not thread-safe. */
  public static final class Builder {
    private String primaryName;
    private DataSource primary;
    private final Map<String, DataSource> replicas = new LinkedHashMap<>();
    private final java.util.Set<String> loadBalanced = new java.util.HashSet<>();
    private ReplicationDialect dialect;
    private RoutingPolicy policy = RoutingPolicy.ofDefaults();
    private byte[] tokenKey;
    private final List<RoutingListener> listeners = new ArrayList<>();
    private ScheduledExecutorService scheduler;
    private Clock clock = Clock.systemUTC();
    private boolean monitor = true;
    private Duration replicaConnectTimeout = Duration.ofSeconds(1);

    private Builder() {}

    /**
     * The longest a read or a replica probe waits for a replica's pool to hand out a connection,
     * enforced by the router even when the pool would wait longer (default 1 s); see the class
     * comment. A replica that misses it is excluded at the deadline. Keep it at or below the
     * policy's {@code sampleInterval} if a dead replica must be excluded within two sample
     * intervals even when no read touches it.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder replicaConnectTimeout(Duration replicaConnectTimeout) {
      Objects.requireNonNull(replicaConnectTimeout, "replicaConnectTimeout");
      if (replicaConnectTimeout.isNegative() || replicaConnectTimeout.isZero()) {
        throw new IllegalArgumentException(
            "replicaConnectTimeout must be positive, but was " + replicaConnectTimeout);
      }
      this.replicaConnectTimeout = replicaConnectTimeout;
      return this;
    }

    /**
     * The primary (read-write) node.
     *
     * @throws IllegalStateException if a primary was already set
     * @throws IllegalArgumentException if the name is blank
     */
    public Builder primary(String name, DataSource dataSource) {
      checkName(name);
      Objects.requireNonNull(dataSource, "dataSource");
      if (primary != null) {
        throw new IllegalStateException(
            "primary already configured as '" + primaryName + "'; cannot add '" + name + "'");
      }
      checkUnique(name, dataSource);
      this.primaryName = name;
      this.primary = dataSource;
      return this;
    }

    /**
     * A replica (read-only) node.
     *
     * @throws IllegalArgumentException if the name is blank or a node with this name or this
     *     DataSource instance is already configured
     */
    public Builder replica(String name, DataSource dataSource) {
      checkName(name);
      Objects.requireNonNull(dataSource, "dataSource");
      checkUnique(name, dataSource);
      replicas.put(name, dataSource);
      return this;
    }

    /**
     * A replica whose address is a load-balanced read endpoint over several standbys (a Kubernetes
     * {@code -ro} Service, an HAProxy read frontend, a cloud reader endpoint): each new physical
     * connection may reach another server.
     *
     * <p>Read-your-writes holds through any replica, declared or not: positions are kept per server
     * instance ({@link ReplicationDialect#serverInstance}), and a read runs on a replica only when
     * the server its connection reached is known to cover the session's position, or is checked on
     * that very connection. What the declaration changes is what another server behind the name
     * means. Undeclared, a name is one server, and a connection or sample that reaches another
     * server resets the name ({@code RoutingListener.onReplicaReset}, excluded until re-admitted by
     * samples), which behind a balancer happens all the time: safe, but most reads go to the
     * primary. Declared, servers are expected to alternate: each keeps its own position and lag,
     * the name stays admitted while any server is current, and only a server whose own position
     * goes backwards is reset.
     *
     * <p>Cost, declared: the lag monitor samples whichever server its pooled connection reached, so
     * a connection that reaches a server the router knows nothing recent about costs one extra
     * round trip (its replay position, on that connection) — for a read with a token not covered by
     * what is known of that server, and for a read without one when that server's own lag was not
     * measured within the sample expiry. Reads whose connection reaches a known, current server
     * cost nothing extra. A server found behind the token sends the read on to the next replica,
     * then to a bounded causal wait or the primary, as any replica that does not cover it.
     *
     * @throws IllegalArgumentException as {@link #replica(String, DataSource)}
     */
    public Builder loadBalancedReplica(String name, DataSource dataSource) {
      replica(name, dataSource);
      loadBalanced.add(name);
      return this;
    }

    /** The replication dialect (default: detected; PostgreSQL and MariaDB; MySQL is refused). */
    public Builder dialect(ReplicationDialect dialect) {
      this.dialect = Objects.requireNonNull(dialect, "dialect");
      return this;
    }

    public Builder policy(RoutingPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * HMAC-SHA256 key signing exported tokens; every instance exchanging tokens needs the same key.
     * Without it a random key is generated, so tokens are only valid within this instance.
     *
     * @throws IllegalArgumentException if shorter than 16 bytes
     */
    public Builder tokenKey(byte[] tokenKey) {
      Objects.requireNonNull(tokenKey, "tokenKey");
      if (tokenKey.length < 16) {
        throw new IllegalArgumentException(
            "tokenKey must be at least 16 bytes, but was " + tokenKey.length);
      }
      this.tokenKey = tokenKey.clone();
      return this;
    }

    /** Adds a listener; several may be added. */
    public Builder listener(RoutingListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** Scheduler for the lag monitor; not shut down by the data source. */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Whether to sample lag in the background (default true). When false, lag is sampled only at
     * start and through {@link ReplicaRoutingDataSource#sampleNow()}, e.g. in tests.
     */
    public Builder monitor(boolean monitor) {
      this.monitor = monitor;
      return this;
    }

    /**
     * @throws IllegalStateException if no primary is configured
     */
    public RoutingConfig build() {
      if (primary == null) {
        throw new IllegalStateException(
            "no primary configured: call primary(name, dataSource) before build()");
      }
      return new RoutingConfig(this);
    }

    private static void checkName(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("node name must not be blank, but was '" + name + "'");
      }
    }

    private void checkUnique(String name, DataSource ds) {
      if (name.equals(primaryName) || replicas.containsKey(name)) {
        throw new IllegalArgumentException("duplicate node name '" + name + "'");
      }
      if (ds == primary) {
        throw new IllegalArgumentException(
            "duplicate node: '"
                + name
                + "' uses the same DataSource as primary '"
                + primaryName
                + "'");
      }
      for (Map.Entry<String, DataSource> e : replicas.entrySet()) {
        if (e.getValue() == ds) {
          throw new IllegalArgumentException(
              "duplicate node: '"
                  + name
                  + "' uses the same DataSource as replica '"
                  + e.getKey()
                  + "'");
        }
      }
    }
  }
}
