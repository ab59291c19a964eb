package io.github.reliability4j.core.routing.internal;

import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.ReplicaReset;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.core.routing.RoutingListener;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything the router knows about one replica name. Reads are lock-free (one volatile snapshot);
 * updates are synchronized so admission transitions are atomic and reported once.
 *
 * <p>Positions are kept per <em>server</em> (the identity the dialect reports for the server a
 * physical connection reached), not per name: a name may be a load-balanced endpoint over several
 * standbys, or its server may be replaced by one that is behind. A position is trusted for a read
 * only on a connection to the server it was observed on. A name not declared load-balanced expects
 * one server: a different identity, or a position behind the one seen before on the same server,
 * drops everything known, excludes the name until re-sampled, and is reported through {@link
 * RoutingListener#onReplicaReset}. Without server identities (a dialect that reports none) the name
 * is the server, as before.
 */
public final class ReplicaState {

  /**
   * Immutable view of the bookkeeping; replaced as a whole on every update. {@code
   * strictReadmission}: false only until the replica is first admitted or first found bad; the very
   * first admission needs one good sample, every later one {@code readmitAfterSamples}.
   */
  record Snapshot(
      boolean admitted,
      boolean strictReadmission,
      int consecutiveGood,
      Instant lastGoodSampleAt,
      Instant currentAsOf,
      ReplicationPosition knownPosition,
      long latencyNanos,
      LagSample lastSample) {}

  /**
   * What is known about one server reached through this name.
   *
   * @param position newest replay position seen on it (samples, checks, causal waits)
   * @param observedAt when its lag was last measured, or null if only a position was observed
   * @param currentAsOf its data was current as of this instant (null if unknown)
   * @param good whether its last lag measurement was within the policy's limits
   */
  record ServerView(
      ReplicationPosition position, Instant observedAt, Instant currentAsOf, boolean good) {}

  /** Bound on remembered servers per name (an endpoint whose pods are replaced keeps churning). */
  static final int MAX_SERVERS = 64;

  private final String name;
  private final boolean loadBalanced;
  private final Map<String, ServerView> servers = new ConcurrentHashMap<>();
  private volatile String lastServer;
  private final CircuitBreaker breaker;
  private final RoutingPolicy policy;
  private final RoutingListener listener;
  private final AtomicInteger outstanding = new AtomicInteger();
  final AtomicBoolean sampling = new AtomicBoolean();

  /**
   * The last decision of a read served here without fallback ({@link ReadRoute#decision}), reused
   * while level and preference match. Immutable, so a racy plain field is safe to share.
   */
  RouteDecision plainDecision;

  private volatile Snapshot snapshot = new Snapshot(false, false, 0, null, null, null, -1, null);

  ReplicaState(String name, RoutingPolicy policy, RoutingListener listener) {
    this(name, policy, listener, false);
  }

  ReplicaState(String name, RoutingPolicy policy, RoutingListener listener, boolean loadBalanced) {
    this.name = name;
    this.loadBalanced = loadBalanced;
    this.policy = policy;
    this.listener = listener;
    this.breaker = CircuitBreaker.of("replica-" + name, policy.circuitBreakerConfig());
  }

  public String name() {
    return name;
  }

  /** Whether this name was declared a load-balanced endpoint over several servers. */
  public boolean loadBalanced() {
    return loadBalanced;
  }

  /** The server the last sample or read-time check of this name reached, or null. */
  public String lastServer() {
    return lastServer;
  }

  /**
   * Whether {@code server}'s known position covers {@code position}. {@code server} null (a dialect
   * without server identities): the name's known position. Pure, lock-free.
   */
  public boolean covers(String server, ReplicationPosition position) {
    if (server == null) {
      return covers(position);
    }
    if (!loadBalanced && !server.equals(lastServer)) {
      return false;
    }
    ServerView v = servers.get(server);
    return v != null && v.position != null && v.position.covers(position);
  }

  /**
   * Whether a read without a position may run on a connection to {@code server}: for a name with
   * one server, it is the server sampled; for a load-balanced name, its own last lag measurement
   * was good and is not older than the sample expiry. Pure, lock-free.
   */
  public boolean servesFresh(String server, Instant now) {
    if (server == null) {
      return true;
    }
    if (!loadBalanced) {
      return server.equals(lastServer);
    }
    ServerView v = servers.get(server);
    return v != null
        && v.good
        && v.observedAt != null
        && !longerThan(v.observedAt, now, policy.sampleExpiry());
  }

  /** Upper bound on how old {@code server}'s data is at {@code now}, or null if unknown. */
  public Duration staleness(String server, Instant now) {
    if (server == null || (!loadBalanced && server.equals(lastServer))) {
      return staleness(now);
    }
    ServerView v = loadBalanced ? servers.get(server) : null;
    if (v == null || v.currentAsOf == null) {
      return null;
    }
    return nonNegative(Duration.between(v.currentAsOf, now));
  }

  /**
   * A connection of a read reached {@code server}. For a name with one server, a server other than
   * the one sampled before resets this name ({@link ReplicaReset#SERVER_CHANGED}) and returns
   * false; otherwise true.
   */
  public boolean reached(String server) {
    // Once per routed replica read: the common case (the sampled server) takes no lock.
    if (server == null || loadBalanced || server.equals(lastServer)) {
      return true;
    }
    return reachedOther(server);
  }

  private synchronized boolean reachedOther(String server) {
    String last = lastServer;
    if (last == null) {
      lastServer = server;
      return true;
    }
    if (last.equals(server)) {
      return true;
    }
    reset(
        ReplicaReset.SERVER_CHANGED,
        "a connection to '" + name + "' reached server " + server + ", sampled before: " + last,
        server);
    return false;
  }

  /**
   * Records {@code position} observed on a connection to {@code server} (a read-time check or a
   * causal wait); {@code server} null: see {@link #observePosition(ReplicationPosition)}. Detects a
   * changed server or a position gone backwards as a sample does.
   */
  public synchronized void observePosition(String server, ReplicationPosition position) {
    if (server == null) {
      observePosition(position);
      return;
    }
    // A changed server resets first: lastServer is then this server, nothing known about it.
    reached(server);
    ServerView prev = servers.get(server);
    if (prev != null && prev.position != null && isBehind(position, prev.position)) {
      reset(
          ReplicaReset.POSITION_WENT_BACKWARDS,
          "server "
              + server
              + " of '"
              + name
              + "' reports "
              + position.encode()
              + " after "
              + prev.position.encode(),
          server);
      prev = null;
    }
    ReplicationPosition merged =
        prev == null || prev.position == null ? position : prev.position.merge(position);
    putServer(
        server,
        prev == null
            ? new ServerView(merged, null, null, false)
            : new ServerView(merged, prev.observedAt, prev.currentAsOf, prev.good));
    if (loadBalanced) {
      setKnown(mergeServers());
    } else {
      observePosition(position);
    }
  }

  /**
   * Records a lag measurement of {@code server} made on a read's own connection (load-balanced
   * names only; a name with one server is measured by the monitor). Returns whether it is good.
   */
  synchronized boolean observeLag(
      String server, ReplicationPosition position, Instant at, Instant currentAsOf, long lagBytes) {
    observePosition(server, position);
    boolean good = problem(position, currentAsOf, at, lagBytes) == null;
    ServerView v = servers.get(server);
    putServer(server, new ServerView(v.position, at, currentAsOf, good));
    return good;
  }

  private void putServer(String server, ServerView view) {
    servers.put(server, view);
    if (servers.size() > MAX_SERVERS) {
      String oldest = null;
      Instant oldestAt = null;
      for (Map.Entry<String, ServerView> e : servers.entrySet()) {
        Instant at = e.getValue().observedAt;
        if (!e.getKey().equals(server)
            && (oldest == null || at == null || (oldestAt != null && at.isBefore(oldestAt)))) {
          oldest = e.getKey();
          oldestAt = at;
          if (at == null) {
            break;
          }
        }
      }
      if (oldest != null) {
        servers.remove(oldest);
      }
    }
  }

  private ReplicationPosition mergeServers() {
    ReplicationPosition m = null;
    for (ServerView v : servers.values()) {
      if (v.position != null) {
        m = m == null ? v.position : m.merge(v.position);
      }
    }
    return m;
  }

  private void setKnown(ReplicationPosition known) {
    Snapshot s = snapshot;
    snapshot =
        new Snapshot(
            s.admitted,
            s.strictReadmission,
            s.consecutiveGood,
            s.lastGoodSampleAt,
            s.currentAsOf,
            known,
            s.latencyNanos,
            s.lastSample);
  }

  /** Strictly behind: {@code before} covers {@code now} but not the other way round. */
  static boolean isBehind(ReplicationPosition now, ReplicationPosition before) {
    return before.covers(now) && !now.covers(before);
  }

  /**
   * Drops what is known: for a name with one server everything, and the name is excluded until
   * re-admitted by samples; for a load-balanced name only {@code server}'s view. Reported once.
   */
  private void reset(ReplicaReset reason, String detail, String server) {
    Snapshot s = snapshot;
    if (loadBalanced) {
      if (server != null) {
        servers.remove(server);
      }
      setKnown(mergeServers());
    } else {
      servers.clear();
      lastServer = server;
      snapshot =
          new Snapshot(
              false, true, 0, s.lastGoodSampleAt, null, null, s.latencyNanos, s.lastSample);
      if (s.admitted) {
        listener.onReplicaStateChange(name, false, reason + ": " + detail);
      }
    }
    listener.onReplicaReset(name, reason, detail);
  }

  public CircuitBreaker circuitBreaker() {
    return breaker;
  }

  /** Admitted, sample not expired, circuit breaker not open. */
  public boolean isEligible(Instant now) {
    Snapshot s = snapshot;
    if (!s.admitted || s.lastGoodSampleAt == null) {
      return false;
    }
    if (longerThan(s.lastGoodSampleAt, now, policy.sampleExpiry())) {
      return false;
    }
    CircuitBreaker.State st = breaker.getState();
    return st != CircuitBreaker.State.OPEN && st != CircuitBreaker.State.FORCED_OPEN;
  }

  /**
   * {@code Duration.between(from, to).compareTo(limit) > 0} without allocating a Duration: this
   * runs for every replica on every routed read.
   */
  static boolean longerThan(Instant from, Instant to, Duration limit) {
    long seconds = to.getEpochSecond() - from.getEpochSecond();
    int nanos = to.getNano() - from.getNano();
    if (nanos < 0) {
      seconds--;
      nanos += 1_000_000_000;
    }
    return seconds != limit.getSeconds() ? seconds > limit.getSeconds() : nanos > limit.getNano();
  }

  /** Upper bound on how old this replica's data is at {@code now}, or null if unknown. */
  public Duration staleness(Instant now) {
    Instant asOf = snapshot.currentAsOf;
    if (asOf == null) {
      return null;
    }
    Duration d = Duration.between(asOf, now);
    return d.isNegative() ? Duration.ZERO : d;
  }

  /** Newest replay position known, or null. */
  public ReplicationPosition knownPosition() {
    return snapshot.knownPosition;
  }

  /**
   * The replay position of the lag monitor's last successful sample, else the known position (or
   * null): what freshness among replicas is compared by.
   */
  LagSample lastSample() {
    return snapshot.lastSample;
  }

  ReplicationPosition sampledPosition() {
    Snapshot s = snapshot;
    LagSample last = s.lastSample;
    return last != null && last.replayPosition() != null ? last.replayPosition() : s.knownPosition;
  }

  /** Whether the known replay position covers {@code position}. */
  public boolean covers(ReplicationPosition position) {
    ReplicationPosition known = snapshot.knownPosition;
    return known != null && known.covers(position);
  }

  /**
   * Whether replaying further can make this replica cover {@code position} (false across a
   * PostgreSQL timeline switch); true when nothing is known yet.
   */
  public boolean mayCatchUp(ReplicationPosition position) {
    ReplicationPosition known = snapshot.knownPosition;
    return known == null || known.mayCover(position);
  }

  long latencyNanos() {
    return snapshot.latencyNanos;
  }

  public int outstanding() {
    return outstanding.get();
  }

  public void acquired() {
    outstanding.incrementAndGet();
  }

  public void released() {
    outstanding.decrementAndGet();
  }

  /** Records a replay position observed outside the monitor, e.g. during a causal wait. */
  public synchronized void observePosition(ReplicationPosition position) {
    Snapshot s = snapshot;
    ReplicationPosition merged =
        s.knownPosition == null ? position : s.knownPosition.merge(position);
    if (!merged.equals(s.knownPosition)) {
      snapshot =
          new Snapshot(
              s.admitted,
              s.strictReadmission,
              s.consecutiveGood,
              s.lastGoodSampleAt,
              s.currentAsOf,
              merged,
              s.latencyNanos,
              s.lastSample);
    }
  }

  /** A connection attempt by a user request failed: exclude at once until re-probed. */
  public void connectionFailed(Throwable error) {
    exclude("connection failed: " + error, null);
  }

  /**
   * A connection of a user request failed after {@code nanos}: counted by the circuit breaker, and
   * the replica is excluded at once until re-probed ({@link #connectionFailed(Throwable)}).
   */
  public void connectionFailed(long nanos, Throwable error) {
    breaker.onError(nanos, java.util.concurrent.TimeUnit.NANOSECONDS, error);
    connectionFailed(error);
  }

  synchronized void onSample(
      ReplicationPosition replay,
      Instant sampledAt,
      Instant currentAsOf,
      long lagBytes,
      long latencyNanos) {
    onSample(null, replay, sampledAt, currentAsOf, sampledAt, lagBytes, latencyNanos);
  }

  /**
   * @param lagReference the instant lag is measured up to: the sample time while the primary is
   *     reachable, the primary's last-seen time during an outage (see {@link
   *     ReplicaRouter#sampleReplica})
   */
  synchronized void onSample(
      ReplicationPosition replay,
      Instant sampledAt,
      Instant currentAsOf,
      Instant lagReference,
      long lagBytes,
      long latencyNanos) {
    onSample(null, replay, sampledAt, currentAsOf, lagReference, lagBytes, latencyNanos);
  }

  /**
   * A monitor sample of {@code server} (null: the dialect reports no server identity); {@code
   * lagReference} as above.
   */
  synchronized void onSample(
      String server,
      ReplicationPosition replay,
      Instant sampledAt,
      Instant currentAsOf,
      Instant lagReference,
      long lagBytes,
      long latencyNanos) {
    if (server != null) {
      ServerView prev = servers.get(server);
      if (!loadBalanced && lastServer != null && !lastServer.equals(server)) {
        reset(
            ReplicaReset.SERVER_CHANGED,
            "the lag monitor reached server "
                + server
                + " behind '"
                + name
                + "', sampled before: "
                + lastServer,
            server);
        prev = null;
      } else if (prev != null && prev.position != null && isBehind(replay, prev.position)) {
        reset(
            ReplicaReset.POSITION_WENT_BACKWARDS,
            "server "
                + server
                + " of '"
                + name
                + "' reports "
                + replay.encode()
                + " after "
                + prev.position.encode(),
            server);
        prev = null;
      }
      if (!loadBalanced) {
        lastServer = server;
      }
      String p = problem(replay, currentAsOf, lagReference, lagBytes);
      ReplicationPosition pos =
          prev == null || prev.position == null ? replay : prev.position.merge(replay);
      putServer(server, new ServerView(pos, sampledAt, currentAsOf, p == null));
    } else {
      ReplicationPosition known = snapshot.knownPosition;
      if (known != null && isBehind(replay, known)) {
        reset(
            ReplicaReset.POSITION_WENT_BACKWARDS,
            "'" + name + "' reports " + replay.encode() + " after " + known.encode(),
            null);
      }
    }
    Snapshot s = snapshot;
    Duration lag =
        currentAsOf == null ? null : nonNegative(Duration.between(currentAsOf, lagReference));
    String problem = problem(replay, currentAsOf, lagReference, lagBytes);
    if (problem != null && loadBalanced && anotherServerGood(server, sampledAt)) {
      // Another server behind this endpoint is current: reads are checked per server.
      problem = null;
    }
    ReplicationPosition known =
        loadBalanced && server != null
            ? mergeServers()
            : s.knownPosition == null ? replay : s.knownPosition.merge(replay);
    processSample(s, replay, sampledAt, currentAsOf, lagBytes, latencyNanos, lag, problem, known);
  }

  private boolean anotherServerGood(String server, Instant now) {
    for (Map.Entry<String, ServerView> e : servers.entrySet()) {
      ServerView v = e.getValue();
      if (!e.getKey().equals(server)
          && v.good
          && v.observedAt != null
          && !longerThan(v.observedAt, now, policy.sampleExpiry())) {
        return true;
      }
    }
    return false;
  }

  /** Why a measurement is not good enough for reads, or null; lag is measured up to {@code at}. */
  private String problem(
      ReplicationPosition replay, Instant currentAsOf, Instant at, long lagBytes) {
    Duration lag = currentAsOf == null ? null : nonNegative(Duration.between(currentAsOf, at));
    String problem = null;
    if (lag == null) {
      problem = "lag unknown: replay position " + replay.encode() + " predates the lag history";
    } else if (lag.compareTo(policy.maxReplicaLag()) > 0) {
      problem =
          "lag "
              + lag.toMillis()
              + "ms exceeds maxReplicaLag "
              + policy.maxReplicaLag().toMillis()
              + "ms";
    } else if (lagBytes > policy.maxReplicaLagBytes()) {
      problem =
          "lag " + lagBytes + " bytes exceeds maxReplicaLagBytes " + policy.maxReplicaLagBytes();
    }
    return problem;
  }

  private void processSample(
      Snapshot s,
      ReplicationPosition replay,
      Instant sampledAt,
      Instant currentAsOf,
      long lagBytes,
      long latencyNanos,
      Duration lag,
      String problem,
      ReplicationPosition known) {
    long ewma = s.latencyNanos < 0 ? latencyNanos : (s.latencyNanos * 3 + latencyNanos) / 4;
    if (problem != null) {
      LagSample sample =
          new LagSample(
              name, sampledAt, replay, lagBytes, lag, Duration.ofNanos(latencyNanos), null, false);
      // An unmeasurable lag right after start (history too short) is not held against it.
      boolean strict = s.strictReadmission || lag != null;
      snapshot =
          new Snapshot(false, strict, 0, s.lastGoodSampleAt, currentAsOf, known, ewma, sample);
      listener.onLagSample(sample);
      if (s.admitted) {
        listener.onReplicaStateChange(name, false, problem);
      }
      return;
    }
    int good = s.consecutiveGood + 1;
    boolean admit = s.admitted || good >= (s.strictReadmission ? policy.readmitAfterSamples() : 1);
    LagSample sample =
        new LagSample(
            name, sampledAt, replay, lagBytes, lag, Duration.ofNanos(latencyNanos), null, admit);
    snapshot =
        new Snapshot(
            admit, s.strictReadmission || admit, good, sampledAt, currentAsOf, known, ewma, sample);
    listener.onLagSample(sample);
    if (admit && !s.admitted) {
      listener.onReplicaStateChange(
          name, true, good + " consecutive good sample(s), lag " + lag.toMillis() + "ms");
    }
  }

  synchronized void onSampleFailure(Instant sampledAt, Throwable error) {
    LagSample sample = new LagSample(name, sampledAt, null, -1, null, null, error, false);
    exclude("probe failed: " + error, sample);
    listener.onLagSample(sample);
  }

  private synchronized void exclude(String why, LagSample sample) {
    Snapshot s = snapshot;
    snapshot =
        new Snapshot(
            false,
            true,
            0,
            s.lastGoodSampleAt,
            s.currentAsOf,
            s.knownPosition,
            s.latencyNanos,
            sample != null ? sample : s.lastSample);
    if (s.admitted) {
      listener.onReplicaStateChange(name, false, why);
    }
  }

  ReplicaStatus status() {
    Snapshot s = snapshot;
    return new ReplicaStatus(
        name,
        s.admitted,
        breaker.getState().name(),
        s.lastSample,
        s.knownPosition,
        outstanding.get());
  }

  private static Duration nonNegative(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }

  @Override
  public String toString() {
    return name;
  }
}
