package io.github.reliability4j.core.routing.internal;

import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.RoutingListener;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything the router knows about one replica. Reads are lock-free (one volatile snapshot);
 * updates are synchronized so admission transitions are atomic and reported once.
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

  private final String name;
  private final CircuitBreaker breaker;
  private final RoutingPolicy policy;
  private final RoutingListener listener;
  private final AtomicInteger outstanding = new AtomicInteger();
  final AtomicBoolean sampling = new AtomicBoolean();
  private volatile Snapshot snapshot = new Snapshot(false, false, 0, null, null, null, -1, null);

  ReplicaState(String name, RoutingPolicy policy, RoutingListener listener) {
    this.name = name;
    this.policy = policy;
    this.listener = listener;
    this.breaker = CircuitBreaker.of("replica-" + name, policy.circuitBreakerConfig());
  }

  public String name() {
    return name;
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

  synchronized void onSample(
      ReplicationPosition replay,
      Instant sampledAt,
      Instant currentAsOf,
      long lagBytes,
      long latencyNanos) {
    onSample(replay, sampledAt, currentAsOf, sampledAt, lagBytes, latencyNanos);
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
    Snapshot s = snapshot;
    Duration lag =
        currentAsOf == null ? null : nonNegative(Duration.between(currentAsOf, lagReference));
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
    ReplicationPosition known = s.knownPosition == null ? replay : s.knownPosition.merge(replay);
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
