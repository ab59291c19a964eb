package io.github.reliability4j.core.routing.internal;

import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.LoadBalancing;
import io.github.reliability4j.core.routing.ReadPreference;
import io.github.reliability4j.core.routing.ReplicaLagView;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.ReplicationProbe;
import io.github.reliability4j.core.routing.RoutingListener;
import io.github.reliability4j.core.routing.RoutingOptions;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design notes.
 * - Selection is pure over the replicas' snapshots: plan() never blocks and never touches a
 *   database, so the common read costs no extra round trip. The JDBC layer executes the plan.
 * - Lag in time is measured against the primary's position history (PrimaryHistory), not against
 *   pg_last_xact_replay_timestamp(), so an idle primary does not look like lag. The resolution is
 *   the sample interval.
 * - "Unknown lag is stale": a failed probe excludes at once; an expired sample makes a replica
 *   ineligible at read time even if the monitor thread died.
 */
/** The routing engine: replica bookkeeping, selection and lag monitoring. Thread-safe. */
public final class ReplicaRouter implements ReplicaLagView, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ReplicaRouter.class);

  private final RoutingPolicy policy;
  private final Clock clock;
  private final RoutingListener listener;
  private final Map<String, ReplicaState> byName = new LinkedHashMap<>();
  private final List<ReplicaState> replicas;
  private final PrimaryHistory history = new PrimaryHistory(1024);
  private final AtomicLong roundRobin = new AtomicLong();
  private final Semaphore fallbackPermits;
  private volatile long primaryLatencyNanos = -1;
  private volatile ScheduledFuture<?> monitor;
  private final java.util.concurrent.atomic.AtomicBoolean primarySampling =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** Outcome of the primary's probes; replaced as a whole. */
  private record PrimaryProbes(Instant lastSuccess, Instant lastFailure, Throwable lastError) {}

  private volatile PrimaryProbes primaryProbes = new PrimaryProbes(null, null, null);
  private final java.util.concurrent.ConcurrentHashMap<Duration, Boolean> warnedBounds =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final Duration honourableStaleness;

  private final java.util.function.LongSupplier ticker;

  public ReplicaRouter(
      RoutingPolicy policy, List<String> replicaNames, RoutingListener listener, Clock clock) {
    this(policy, replicaNames, listener, clock, System::nanoTime);
  }

  /**
   * @param ticker nanosecond ticker measuring probe latency (for NEAREST and LOWEST_LATENCY)
   */
  public ReplicaRouter(
      RoutingPolicy policy,
      List<String> replicaNames,
      RoutingListener listener,
      Clock clock,
      java.util.function.LongSupplier ticker) {
    this(policy, replicaNames, java.util.Set.of(), listener, clock, ticker);
  }

  /**
   * @param loadBalanced the replica names declared load-balanced endpoints over several servers
   */
  public ReplicaRouter(
      RoutingPolicy policy,
      List<String> replicaNames,
      java.util.Set<String> loadBalanced,
      RoutingListener listener,
      Clock clock,
      java.util.function.LongSupplier ticker) {
    this.ticker = ticker;
    this.policy = policy;
    this.clock = clock;
    this.listener = listener;
    for (String n : replicaNames) {
      byName.put(n, new ReplicaState(n, policy, listener, loadBalanced.contains(n)));
    }
    this.replicas = List.copyOf(byName.values());
    this.honourableStaleness = RoutingPolicy.minimumHonourableStaleness(policy.sampleInterval());
    this.tieOrder =
        policy.loadBalancing() == LoadBalancing.LEAST_OUTSTANDING
            ? freshestFirst.thenComparingInt(ReplicaState::outstanding)
            : freshestFirst;
    this.fallbackPermits =
        policy.maxConcurrentFallbackReads() == Integer.MAX_VALUE
            ? null
            : new Semaphore(policy.maxConcurrentFallbackReads());
  }

  public RoutingPolicy policy() {
    return policy;
  }

  public Clock clock() {
    return clock;
  }

  public RoutingListener listener() {
    return listener;
  }

  public ReplicaState state(String name) {
    return byName.get(name);
  }

  public List<ReplicaState> states() {
    return replicas;
  }

  /**
   * Plans a read and returns its candidates as a value (tests, diagnostics); reads route with a
   * {@link ReadRoute}, which holds the same plan. Pure: reads only in-memory state.
   *
   * @param token the session's required position on this cluster, or null
   * @param untrusted whether the session carries an unverifiable imported token
   */
  public RoutePlan plan(
      ConsistencyLevel consistency,
      ReadPreference preference,
      ReplicationPosition token,
      boolean untrusted) {
    ReadRoute route = new ReadRoute(this, DETACHED);
    route.plan(
        RoutingOptions.custom().consistency(consistency).readPreference(preference).build(),
        token,
        untrusted);
    return route.toPlan();
  }

  /** The owner of a route that only plans (no session, cluster or primary). */
  private static final ReadRoute.Owner DETACHED =
      new ReadRoute.Owner() {
        @Override
        public String clusterId() {
          return null;
        }

        @Override
        public String primaryName() {
          return null;
        }

        @Override
        public io.github.reliability4j.core.routing.ConsistencySession session() {
          return null;
        }
      };

  /**
   * Fills {@code route}'s candidates: the replicas that satisfy the level now, in the order they
   * are tried, and those a causal wait may make current. Pure: reads only in-memory state.
   */
  void plan(
      ReadRoute route,
      ConsistencyLevel consistency,
      ReadPreference preference,
      ReplicationPosition token,
      boolean untrusted) {
    // Runs once per routed read: indexed loops over arrays the route keeps, no wait array unless
    // there are wait candidates, and stale candidates only when a partition needs them.
    route.readyCount = 0;
    route.waitCount = 0;
    route.reason = null;
    route.primaryAllowed = true;
    if (preference == ReadPreference.PRIMARY
        || consistency.kind() == ConsistencyLevel.Kind.STRONG) {
      route.primaryFirst = true;
      return;
    }
    Instant now = clock.instant();
    int n = replicas.size();
    ReplicaState[] ready = route.ready;
    int readyCount = 0;
    int waitCount = 0;
    boolean anyEligible = false;
    FallbackReason reason = null;
    ConsistencyLevel.Kind kind = consistency.kind();
    if (kind == ConsistencyLevel.Kind.BOUNDED_STALENESS
        && consistency.maxStaleness().compareTo(honourableStaleness) < 0) {
      warnUnhonourable(consistency.maxStaleness());
    }
    if (kind == ConsistencyLevel.Kind.READ_YOUR_WRITES && untrusted) {
      reason = FallbackReason.UNTRUSTED_TOKEN;
    } else {
      for (int i = 0; i < n; i++) {
        ReplicaState r = replicas.get(i);
        if (!r.isEligible(now)) {
          continue;
        }
        anyEligible = true;
        switch (kind) {
          case READ_YOUR_WRITES -> {
            if (token == null || r.covers(token)) {
              ready[readyCount++] = r;
            } else if (r.mayCatchUp(token)) {
              if (route.wait == null) {
                route.wait = new ReplicaState[n];
              }
              route.wait[waitCount++] = r;
            }
          }
          case BOUNDED_STALENESS -> {
            Duration s = r.staleness(now);
            if (s != null && s.compareTo(consistency.maxStaleness()) <= 0) {
              ready[readyCount++] = r;
            }
          }
          default -> ready[readyCount++] = r;
        }
      }
      spreadTies(route.wait, waitCount);
      if (readyCount == 0 && anyEligible) {
        if (kind == ConsistencyLevel.Kind.READ_YOUR_WRITES && token != null) {
          reason = FallbackReason.TOKEN_NOT_COVERED;
        } else if (kind == ConsistencyLevel.Kind.BOUNDED_STALENESS) {
          reason = FallbackReason.STALENESS_BOUND;
        }
      }
    }
    if (readyCount == 0 && reason == null) {
      reason = replicas.isEmpty() ? FallbackReason.NO_REPLICAS : FallbackReason.NO_ELIGIBLE_REPLICA;
    }
    boolean primaryFirst = preference == ReadPreference.PRIMARY_PREFERRED;
    if (preference == ReadPreference.NEAREST) {
      if (readyCount > 1) {
        Arrays.sort(ready, 0, readyCount, LOWEST_LATENCY_FIRST);
      }
      long p = primaryLatencyNanos;
      primaryFirst = readyCount == 0 || (p >= 0 && p <= ready[0].latencyNanos());
    } else {
      balance(ready, readyCount);
    }
    route.readyCount = readyCount;
    route.waitCount = waitCount;
    route.reason = reason;
    route.primaryFirst = primaryFirst;
    route.primaryAllowed = preference != ReadPreference.REPLICA;
  }

  private static final Comparator<ReplicaState> LOWEST_LATENCY_FIRST =
      Comparator.comparingLong(ReplicaState::latencyNanos);

  private static final Comparator<ReplicaState> LEAST_OUTSTANDING_FIRST =
      Comparator.comparingInt(ReplicaState::outstanding);

  /*
   * Freshest first, by the measured lag in units of two sample intervals (about the lag's
   * resolution when the primary and the replicas are sampled independently): replicas within the
   * same unit tie, so that the order in which the monitor happens to sample them
   * under a steady write load does not decide every wait. Without a measured lag on both sides, by
   * the monitor's sampled positions.
   */
  private final Comparator<ReplicaState> freshestFirst =
      (a, b) -> {
        long la = lagIntervals(a);
        long lb = lagIntervals(b);
        return la >= 0 && lb >= 0 ? Long.compare(la, lb) : FRESHEST_POSITION_FIRST.compare(a, b);
      };

  private long lagIntervals(ReplicaState r) {
    LagSample s = r.lastSample();
    if (s == null || s.lag() == null) {
      return -1;
    }
    return s.lag().toNanos() / Math.max(1, 2 * policy.sampleInterval().toNanos());
  }

  /*
   * Positions by the lag monitor's last sample, not by the known position: a causal wait advances
   * the known position of the replica it waited on, which would make that replica look freshest
   * and win every following wait (the skew issue 22 reports). Monitor samples advance all replicas
   * at the same cadence, so equally current replicas tie and the tie is spread.
   */
  private static final Comparator<ReplicaState> FRESHEST_POSITION_FIRST =
      (a, b) -> {
        ReplicationPosition pa = a.sampledPosition();
        ReplicationPosition pb = b.sampledPosition();
        if (pa == null || pb == null) {
          return pa == null ? (pb == null ? 0 : 1) : -1;
        }
        boolean ab = pa.covers(pb);
        boolean ba = pb.covers(pa);
        return ab == ba ? 0 : (ab ? -1 : 1);
      };

  /**
   * Freshest first; replicas that tie on freshness in a random order (and, under {@code
   * LEAST_OUTSTANDING}, the least loaded first), so causal waits do not pile onto the first
   * configured replica. Sorts the first {@code count} of {@code candidates}.
   */
  private void spreadTies(ReplicaState[] candidates, int count) {
    if (count < 2) {
      return;
    }
    rotate(candidates, count, java.util.concurrent.ThreadLocalRandom.current().nextInt(count));
    Arrays.sort(candidates, 0, count, tieOrder);
  }

  /** {@link #freshestFirst}, then, under {@code LEAST_OUTSTANDING}, the least loaded first. */
  private final Comparator<ReplicaState> tieOrder;

  /** As {@link Collections#rotate}: the element at {@code i} moves to {@code (i + by) % count}. */
  private static void rotate(ReplicaState[] a, int count, int by) {
    if (by == 0) {
      return;
    }
    reverse(a, 0, count);
    reverse(a, 0, by);
    reverse(a, by, count);
  }

  private static void reverse(ReplicaState[] a, int from, int to) {
    for (int i = from, j = to - 1; i < j; i++, j--) {
      ReplicaState t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** One WARN and one listener event per distinct bound that the sample interval cannot honour. */
  private void warnUnhonourable(Duration bound) {
    if (warnedBounds.size() >= 64 || warnedBounds.putIfAbsent(bound, Boolean.TRUE) != null) {
      return;
    }
    String msg =
        "bounded-staleness bound "
            + bound.toMillis()
            + "ms is below "
            + honourableStaleness.toMillis()
            + "ms (2 x sampleInterval "
            + policy.sampleInterval().toMillis()
            + "ms): replicas can rarely prove they are that fresh, so such reads mostly go to the"
            + " primary; raise the bound or lower sampleInterval (reported once per bound)";
    LOG.warn(msg);
    listener.onWarning(msg);
  }

  private void balance(ReplicaState[] ready, int count) {
    if (count < 2) {
      return;
    }
    rotate(ready, count, (int) Math.floorMod(roundRobin.getAndIncrement(), count));
    if (policy.loadBalancing() == LoadBalancing.LEAST_OUTSTANDING) {
      Arrays.sort(ready, 0, count, LEAST_OUTSTANDING_FIRST);
    } else if (policy.loadBalancing() == LoadBalancing.LOWEST_LATENCY) {
      Arrays.sort(ready, 0, count, LOWEST_LATENCY_FIRST);
    }
  }

  /**
   * Replicas whose breaker is not open, freshest known position first: what a read may be served
   * from, flagged possibly stale, when the primary is unreachable. Pure, like {@link #plan}.
   */
  public List<ReplicaState> staleCandidates() {
    ReplicaState[] out = new ReplicaState[replicas.size()];
    return List.of(Arrays.copyOf(out, staleCandidates(out)));
  }

  /** {@link #staleCandidates()} into {@code out} (sized to the replica count); their count. */
  int staleCandidates(ReplicaState[] out) {
    int count = 0;
    for (int i = 0; i < replicas.size(); i++) {
      ReplicaState r = replicas.get(i);
      CircuitBreaker.State st = r.circuitBreaker().getState();
      if (st != CircuitBreaker.State.OPEN && st != CircuitBreaker.State.FORCED_OPEN) {
        out[count++] = r;
      }
    }
    spreadTies(out, count);
    return count;
  }

  /** Takes a permit for a read falling back to the primary; false if the cap is reached. */
  public boolean tryAcquireFallbackPermit() {
    return fallbackPermits == null || fallbackPermits.tryAcquire();
  }

  public void releaseFallbackPermit() {
    if (fallbackPermits != null) {
      fallbackPermits.release();
    }
  }

  // ---- lag monitoring ----

  /**
   * Samples the primary's position. A failure is recorded: until the next successful sample the
   * primary counts as {@linkplain #primaryUnreachable unreachable} (see {@link #sampleReplica} for
   * what lag means then).
   */
  public void samplePrimary(ReplicationProbe probe) {
    Instant start = clock.instant();
    long t0 = ticker.getAsLong();
    try {
      ReplicationPosition p = probe.primaryPosition();
      long latency = ticker.getAsLong() - t0;
      history.add(p, start);
      long prev = primaryLatencyNanos;
      primaryLatencyNanos = prev < 0 ? latency : (prev * 3 + latency) / 4;
      PrimaryProbes pp = primaryProbes;
      primaryProbes = new PrimaryProbes(start, pp.lastFailure, pp.lastError);
    } catch (Exception e) {
      LOG.debug("primary position probe failed", e);
      PrimaryProbes pp = primaryProbes;
      primaryProbes = new PrimaryProbes(pp.lastSuccess, clock.instant(), e);
    }
  }

  /**
   * Why the primary is known to be unreachable, or null if it is not: its latest probe failed and
   * no probe has succeeded since. Reads that would fall back to the primary skip it while this is
   * non-null (they follow their partition behaviour at once instead of waiting for the primary's
   * pool); the next successful probe, at most one sample interval later, clears it.
   */
  public String primaryUnreachable() {
    PrimaryProbes pp = primaryProbes;
    if (pp.lastFailure == null
        || (pp.lastSuccess != null && !pp.lastFailure.isAfter(pp.lastSuccess))) {
      return null;
    }
    return "its lag-monitor probe failed at " + pp.lastFailure + ": " + pp.lastError;
  }

  /**
   * Whether lag is measured in outage mode: the primary's latest probe failed, or its newest
   * successful sample is older than {@code sampleExpiry} (probe hung, monitor stalled).
   */
  private boolean primaryOutage(Instant now) {
    PrimaryProbes pp = primaryProbes;
    if (pp.lastSuccess == null) {
      return pp.lastFailure != null;
    }
    return (pp.lastFailure != null && pp.lastFailure.isAfter(pp.lastSuccess))
        || ReplicaState.longerThan(pp.lastSuccess, now, policy.sampleExpiry());
  }

  /**
   * Samples one replica and updates its admission.
   *
   * <p><b>What lag means.</b> While the primary answers its probes, a replica's lag is the time
   * from the newest primary sample its replay position covers to this replica sample: how old its
   * data is, with the sample interval as resolution; zero when it has replayed the newest primary
   * position sampled (it is behind nothing the monitor knows of). While the primary is unreachable
   * (its latest probe failed, or it has not been sampled successfully for {@code sampleExpiry}),
   * that difference would only grow with the length of the outage, so lag is measured against the
   * newest primary position the monitor saw instead: the time from the newest primary sample the
   * replica covers to the last time the primary was seen at its newest position. A replica that has
   * replayed everything the primary was last seen with has lag zero and stays admitted for reads
   * without a token and reads whose token it covers; one still replaying towards that position has
   * the lag it had relative to the primary's last known state. Staleness (for bounded-staleness
   * reads) is not rebased: it keeps growing from the newest primary sample the replica covers,
   * because nobody can know what the primary committed after that, so such reads stop qualifying
   * once the outage is longer than their bound and then follow their partition behaviour.
   *
   * <p><b>Receive status (the router is cut off, the replica is not).</b> Exception to the above:
   * while the primary is unreachable from the router, a sample whose {@link
   * ReplicationProbe.ReplaySample#receiveAge() receiveAge} is reported (the replica's receiver is
   * streaming and it has replayed everything it received) and is at most {@code sampleExpiry}
   * rebases the replica's "current as of" to {@code sampledAt − receiveAge}, i.e. the time it last
   * received a message from the primary ({@code last_msg_receipt_time} on PostgreSQL). Its
   * staleness at a later instant {@code now} is then {@code now − (sampledAt − receiveAge)}, which
   * is {@code now − last_msg_receipt_time} as of that sample, and its lag is {@code receiveAge}; so
   * bounded-staleness reads keep being served by it for as long as it keeps streaming. A replica
   * that is not streaming, has not heard from the primary for longer than {@code sampleExpiry}, or
   * has received WAL it has not replayed reports no receive age and keeps the behaviour above
   * (staleness grows). The bound assumes the primary sends the replica what it commits without
   * delay beyond the replication stream's own (asynchronous replication).
   */
  public void sampleReplica(ReplicationProbe probe, ReplicaState replica) {
    long t0 = ticker.getAsLong();
    ReplicationPosition replay;
    String server;
    Duration receiveAge;
    try {
      ReplicationProbe.ReplaySample rs = probe.replaySample(replica.name());
      replay = rs == null ? null : rs.position();
      server = rs == null ? null : rs.server();
      receiveAge = rs == null ? null : rs.receiveAge();
    } catch (Exception e) {
      replica.onSampleFailure(clock.instant(), e);
      return;
    }
    long latency = ticker.getAsLong() - t0;
    Instant sampledAt = clock.instant();
    if (replay == null) {
      replica.onSampleFailure(
          sampledAt, new IllegalStateException("replica reported no replay position"));
      return;
    }
    ReplicationPosition latest = history.latest();
    long bytes = -1;
    if (latest != null) {
      if (!replay.mayCover(latest)) {
        // Diverged histories (PostgreSQL: another timeline than the primary's, e.g. a standby
        // left behind by a promotion): no amount of replay makes it current, so exclude it.
        replica.onSampleFailure(
            sampledAt,
            new IllegalStateException(
                "replica replays another history than the primary (PostgreSQL: another"
                    + " timeline): replica at "
                    + replay.encode()
                    + ", primary at "
                    + latest.encode()
                    + "; it stays excluded until it follows the primary"));
        return;
      }
      bytes = replay.covers(latest) ? 0 : latest.bytesAfter(replay).orElse(-1);
    }
    Instant currentAsOf = history.coveredAsOf(replay);
    Instant lagReference = sampledAt;
    if (currentAsOf != null && bytes == 0) {
      // It has replayed the newest primary position known: it is behind nothing we know of.
      lagReference = currentAsOf;
    } else if (currentAsOf != null && primaryOutage(sampledAt)) {
      Instant lastSeen = history.latestSeen();
      if (lastSeen != null && lastSeen.isBefore(sampledAt)) {
        lagReference = lastSeen;
      }
    }
    if (receiveAge != null
        && !receiveAge.isNegative()
        && receiveAge.compareTo(policy.sampleExpiry()) <= 0
        && primaryOutage(sampledAt)) {
      // The router cannot reach the primary, but the replica can: it streams from it, heard from it
      // receiveAge ago and has replayed all it received, so its data is at most that old.
      Instant receivedAt = sampledAt.minus(receiveAge);
      if (currentAsOf == null || receivedAt.isAfter(currentAsOf)) {
        currentAsOf = receivedAt;
        lagReference = sampledAt;
      }
    }
    replica.onSample(server, replay, sampledAt, currentAsOf, lagReference, bytes, latency);
  }

  /**
   * Records a replay position read on a read's own connection to {@code server} of a load-balanced
   * {@code replica} and measures its lag against the primary's history, as a sample would; returns
   * whether that server is within the lag limits. Pure in-memory work.
   */
  public boolean checkServerLag(ReplicaState replica, String server, ReplicationPosition replay) {
    ReplicationPosition latest = history.latest();
    long bytes = -1;
    if (latest != null) {
      if (!replay.mayCover(latest)) {
        replica.observePosition(server, replay);
        return false;
      }
      bytes = replay.covers(latest) ? 0 : latest.bytesAfter(replay).orElse(-1);
    }
    return replica.observeLag(server, replay, clock.instant(), history.coveredAsOf(replay), bytes);
  }

  /** One synchronous round: the primary, then every replica. */
  public void sampleAll(ReplicationProbe probe) {
    samplePrimary(probe);
    for (ReplicaState r : replicas) {
      sampleReplica(probe, r);
    }
  }

  /**
   * Samples every {@code sampleInterval} on {@code scheduler}; the primary and each replica are
   * probed in their own task (at most one in flight per node), so a hanging probe of one node — the
   * primary included — never delays the samples of the others. Bound each probe (the JDBC probe
   * bounds its connection attempt and its query); a node whose probe is still in flight is skipped
   * by the next cycles until it returns.
   */
  public synchronized void startMonitoring(
      ScheduledExecutorService scheduler, ReplicationProbe probe) {
    if (monitor != null) {
      return;
    }
    long interval = policy.sampleInterval().toNanos();
    monitor =
        scheduler.scheduleWithFixedDelay(
            () -> cycle(scheduler, probe), interval, interval, TimeUnit.NANOSECONDS);
  }

  private void cycle(Executor executor, ReplicationProbe probe) {
    try {
      if (primarySampling.compareAndSet(false, true)) {
        try {
          executor.execute(
              () -> {
                try {
                  samplePrimary(probe);
                } catch (RuntimeException e) {
                  LOG.warn("lag sample of the primary failed", e);
                } finally {
                  primarySampling.set(false);
                }
              });
        } catch (RejectedExecutionException e) {
          primarySampling.set(false);
        }
      }
      for (ReplicaState r : replicas) {
        if (r.sampling.compareAndSet(false, true)) {
          try {
            executor.execute(
                () -> {
                  try {
                    sampleReplica(probe, r);
                  } catch (RuntimeException e) {
                    LOG.warn("lag sample of replica {} failed", r.name(), e);
                  } finally {
                    r.sampling.set(false);
                  }
                });
          } catch (RejectedExecutionException e) {
            r.sampling.set(false);
          }
        }
      }
    } catch (RuntimeException e) {
      // Never let an exception cancel the periodic task.
      LOG.warn("lag monitor cycle failed", e);
    }
  }

  @Override
  public synchronized void close() {
    if (monitor != null) {
      monitor.cancel(false);
      monitor = null;
    }
  }

  // ---- ReplicaLagView ----

  @Override
  public List<ReplicaStatus> replicas() {
    List<ReplicaStatus> out = new ArrayList<>(replicas.size());
    for (ReplicaState r : replicas) {
      out.add(r.status());
    }
    return out;
  }

  @Override
  public Duration maxLag() {
    return policy.maxReplicaLag();
  }
}
