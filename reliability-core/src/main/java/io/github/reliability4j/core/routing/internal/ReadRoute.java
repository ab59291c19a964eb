package io.github.reliability4j.core.routing.internal;

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
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/*
 * Design notes.
 * - Every rule of a read lives here: which replicas qualify for a consistency level (start/plan),
 *   the order of the steps, when a causal wait is worth it and how long it may take, the spill
 *   permit of a fallback to the primary, when a possibly stale read is permitted, the refusal
 *   messages, and whether a replica connection still qualifies (checkServer / qualifiesAt /
 *   stillQualifies). The JDBC connection carries the steps out and reports each outcome; it
 *   decides nothing.
 * - One route per logical connection, reused for each read it routes: the candidate arrays are
 *   sized to the replica count once, steps are enum constants, so routing a read allocates nothing
 *   here beyond the RouteDecision it reports (and the wait candidates, only when a wait is due).
 * - Eligibility is evaluated once, when the read starts (one clock reading), as plan() always did.
 */
/**
 * The ordered steps of one read and the rules that decide them. {@link #start} plans a read; each
 * {@link #next} returns the next step to carry out, which the caller does and, where it failed,
 * reports ({@link #primaryFailed}, {@link #replicaRejected}, {@link #waitFailed}) before asking for
 * the next. The steps, in order:
 *
 * <ol>
 *   <li>{@link Step#PRIMARY}: only when the read puts the primary first ({@code STRONG}, {@code
 *       PRIMARY}, {@code PRIMARY_PREFERRED}, {@code NEAREST} when the primary is nearest or no
 *       replica qualifies);
 *   <li>{@link Step#REPLICA} for each replica that satisfies the consistency level by what the
 *       router knows, in load-balancing order (never for {@code STRONG} or {@code PRIMARY}); the
 *       server its connection reached is checked with {@link #checkServer} and {@link
 *       #qualifiesAt};
 *   <li>{@link Step#CAUSAL_WAIT}: a read-your-writes read with a token no replica has shown to
 *       cover, on the replicas that may still catch up (freshest first, ties in random order),
 *       until one hands out a connection; at most one wait per read, for {@link #waitBudget()};
 *   <li>{@link Step#FALLBACK_PRIMARY}, holding a spill permit ({@code maxConcurrentFallbackReads})
 *       that the caller hands back when it releases the connection, or by {@link #primaryFailed};
 *       not for {@code REPLICA} preference, nor after the primary failed in this read;
 *   <li>{@link Step#STALE_REPLICA}: only after the primary failed in this read and with {@link
 *       PartitionBehavior#SERVE_POSSIBLY_STALE}: each replica whose breaker is not open, freshest
 *       first;
 *   <li>{@link Step#REFUSED}: nothing served the read; {@link #refusal()} says why (listeners got
 *       {@code onReadRefused}). Every later {@code next()} answers {@code REFUSED} again.
 * </ol>
 *
 * <p>Not thread-safe: owned by one logical connection, like the connection itself.
 */
public final class ReadRoute {

  /** What to do next for the read. */
  public enum Step {
    /** Read from the primary (it is preferred); on failure report {@link #primaryFailed}. */
    PRIMARY,
    /** Read from {@link #replica()} if it hands out a connection whose server qualifies. */
    REPLICA,
    /** Wait on {@link #replica()} until it covers {@link #token()}, for {@link #waitBudget()}. */
    CAUSAL_WAIT,
    /** Read from the primary under a spill permit; on failure report {@link #primaryFailed}. */
    FALLBACK_PRIMARY,
    /** Read from {@link #replica()}, possibly stale: the primary is down and this is permitted. */
    STALE_REPLICA,
    /** Nothing can serve the read: fail it with {@link #refusal()}. */
    REFUSED
  }

  /** What is known of the server a replica connection reached, for this read. */
  public enum ServerCheck {
    /** It may serve the read; no round trip needed. */
    QUALIFIES,
    /** It may not (a name with one server reached another server: the name was reset). */
    REJECTED,
    /** Unknown: read its replay position on that connection and ask {@link #qualifiesAt}. */
    READ_POSITION
  }

  private static final int FIRST = 0;
  private static final int READY = 1;
  private static final int WAIT = 2;
  private static final int FALLBACK = 3;
  private static final int PARTITION = 4;
  private static final int STALE = 5;
  private static final int REFUSE = 6;

  /** What a route needs to know of the connection whose reads it routes. */
  public interface Owner {
    /** The cluster whose position in the session a read must observe. */
    String clusterId();

    /** The primary's name, for decisions and refusal messages. */
    String primaryName();

    /**
     * The connection's session now; see {@link ReadRoute#session(ConsistencySession,
     * ConsistencySession)}.
     */
    ConsistencySession session();
  }

  private final ReplicaRouter router;
  private final Owner owner;

  /** Replicas that satisfy the level now, in the order they are tried. */
  final ReplicaState[] ready;

  int readyCount;

  /** Replicas that may catch up with the token, freshest first; null until a read has some. */
  ReplicaState[] wait;

  int waitCount;
  boolean primaryFirst;
  boolean primaryAllowed;
  FallbackReason reason;

  private RoutingOptions options;
  private ReplicationPosition token;
  private int queryTimeoutSeconds;
  private boolean primaryDown;
  private Exception lastError;
  private Instant checkedAt;
  private int phase;
  private int index;
  private Step step;
  private ReplicaState replica;
  private String refusal;

  /** A route for the reads of {@code owner}'s connection. */
  public ReadRoute(ReplicaRouter router, Owner owner) {
    this.router = router;
    this.owner = owner;
    this.ready = new ReplicaState[router.states().size()];
  }

  /**
   * Whether a connection's next statement routes as a read: it is read-only, or, in auto-commit
   * mode, an explicit read preference other than {@code PRIMARY} is bound to the thread. A
   * read-write transaction, its leading reads included, stays on the primary.
   */
  public static boolean readIntent(boolean readOnly, boolean autoCommit) {
    if (readOnly) {
      return true;
    }
    if (!autoCommit) {
      return false;
    }
    ReadPreference explicit = Consistency.currentOptions().readPreference();
    return explicit != null && explicit != ReadPreference.PRIMARY;
  }

  /**
   * The session a read or a write of a connection belongs to: the one bound to the thread, else the
   * one bound when the connection was opened ({@code atOpen}, may be null), else the default
   * session of unscoped work.
   */
  public static ConsistencySession session(
      ConsistencySession atOpen, ConsistencySession defaultSession) {
    return Consistency.currentSession().orElse(atOpen != null ? atOpen : defaultSession);
  }

  /** The options in effect: those bound to the thread over the policy's defaults. */
  public RoutingOptions options() {
    RoutingOptions bound = Consistency.currentOptions();
    RoutingOptions defaults = router.policy().defaults();
    // The common case (no options bound) merges nothing and allocates nothing.
    return bound == RoutingOptions.none() ? defaults : bound.orElse(defaults);
  }

  /**
   * Plans a read under the options and session in effect. Pure: reads in-memory state only.
   *
   * @param queryTimeoutSeconds the statement's query timeout (0: none); bounds the causal wait
   */
  public void start(int queryTimeoutSeconds) {
    RoutingOptions o = options();
    ConsistencySession s = owner.session();
    String clusterId = owner.clusterId();
    boolean untrusted = s.untrustedReason(clusterId).isPresent();
    Optional<CausalToken> t = s.token(clusterId);
    this.queryTimeoutSeconds = queryTimeoutSeconds;
    plan(o, t.isPresent() ? t.get().position() : null, untrusted);
  }

  /**
   * Plans a read under {@code o} (consistency and read preference set) without resolving anything
   * from the thread: what {@link #start} does after resolving them.
   */
  void plan(RoutingOptions o, ReplicationPosition token, boolean untrusted) {
    this.options = o;
    this.token = token;
    this.primaryDown = false;
    this.lastError = null;
    this.phase = FIRST;
    this.step = null;
    this.replica = null;
    this.refusal = null;
    router.plan(this, o.consistency(), o.readPreference(), token, untrusted);
  }

  /** The next step; see the class description for the order. */
  public Step next() {
    for (; ; ) {
      switch (phase) {
        case FIRST -> {
          phase = strongOnly() ? PARTITION : READY;
          index = 0;
          if (primaryFirst) {
            return step(Step.PRIMARY, null);
          }
        }
        case READY -> {
          if (index < readyCount) {
            return step(Step.REPLICA, ready[index++]);
          }
          // Every ready replica was tried and none served the read.
          if (readyCount > 0 && reason != FallbackReason.TOKEN_NOT_COVERED) {
            reason = FallbackReason.REPLICA_CONNECTION_FAILED;
          }
          index = 0;
          phase = token != null && waitCount > 0 && !waitBudget().isZero() ? WAIT : FALLBACK;
        }
        case WAIT -> {
          if (index < waitCount) {
            return step(Step.CAUSAL_WAIT, wait[index++]);
          }
          reason = FallbackReason.TOKEN_NOT_COVERED;
          phase = FALLBACK;
        }
        case FALLBACK -> {
          phase = PARTITION;
          if (!primaryAllowed) {
            return refuse(
                "Read refused: read preference REPLICA but no replica can serve it ("
                    + reason
                    + "; "
                    + describeReplicas()
                    + ")");
          }
          if (!primaryDown) {
            if (!router.tryAcquireFallbackPermit()) {
              return refuse(
                  "Read refused: no replica can serve it ("
                      + reason
                      + ") and maxConcurrentFallbackReads="
                      + router.policy().maxConcurrentFallbackReads()
                      + " reads already fell back to the primary; retry later");
            }
            return step(Step.FALLBACK_PRIMARY, null);
          }
        }
        case PARTITION -> {
          phase = REFUSE;
          if (primaryDown
              && options.partitionBehavior() == PartitionBehavior.SERVE_POSSIBLY_STALE) {
            // The wait candidates are done with: their array holds the stale candidates now.
            if (wait == null) {
              wait = new ReplicaState[ready.length];
            }
            waitCount = router.staleCandidates(wait);
            index = 0;
            phase = STALE;
          }
        }
        case STALE -> {
          if (index < waitCount) {
            return step(Step.STALE_REPLICA, wait[index++]);
          }
          phase = REFUSE;
        }
        default -> {
          if (refusal != null) {
            return Step.REFUSED;
          }
          return refuse(
              "Read refused: primary '"
                  + owner.primaryName()
                  + "' is unreachable"
                  + (lastError != null ? " (" + lastError.getMessage() + ")" : "")
                  + " and no replica satisfies "
                  + options.consistency()
                  + " ("
                  + reason
                  + "; "
                  + describeReplicas()
                  + "); partition behaviour "
                  + options.partitionBehavior());
        }
      }
    }
  }

  private boolean strongOnly() {
    return options.consistency().kind() == ConsistencyLevel.Kind.STRONG
        || options.readPreference() == ReadPreference.PRIMARY;
  }

  private Step step(Step s, ReplicaState r) {
    step = s;
    replica = r;
    return s;
  }

  private Step refuse(String message) {
    phase = REFUSE;
    refusal = message;
    step = Step.REFUSED;
    replica = null;
    router.listener().onReadRefused(message);
    return Step.REFUSED;
  }

  /**
   * The primary could not serve the {@link Step#PRIMARY} or {@link Step#FALLBACK_PRIMARY} step;
   * hands the spill permit of a fallback back. No later step of this read uses the primary.
   */
  public void primaryFailed(Exception error) {
    lastError = error;
    primaryDown = true;
    if (step == Step.PRIMARY) {
      reason = FallbackReason.PRIMARY_UNREACHABLE;
    } else if (step == Step.FALLBACK_PRIMARY) {
      router.releaseFallbackPermit();
    }
  }

  /** The connection of a {@link Step#REPLICA} step reached a server that does not qualify. */
  public void replicaRejected() {
    if (token != null) {
      reason = FallbackReason.TOKEN_NOT_COVERED;
    }
  }

  /** The causal wait ran out (or failed): no further wait in this read. */
  public void waitFailed() {
    index = waitCount;
  }

  /** The replica of the current step, or null for the primary's steps. */
  public ReplicaState replica() {
    return replica;
  }

  /** The session's position this read must observe, or null. */
  public ReplicationPosition token() {
    return token;
  }

  /** The consistency level of this read. */
  public ConsistencyLevel level() {
    return options.consistency();
  }

  /** The read preference of this read. */
  public ReadPreference preference() {
    return options.readPreference();
  }

  /** Why the read did not go where its preference pointed first so far, or null. */
  public FallbackReason reason() {
    return reason;
  }

  /** The refusal message of a {@link Step#REFUSED} read. */
  public String refusal() {
    return refusal;
  }

  /** The last primary failure of this read, or null (the cause of a refusal). */
  public Exception lastError() {
    return lastError;
  }

  /**
   * How long the causal wait of this read may take: the option's (else the policy's) {@code
   * maxCausalWait}, capped by the statement's query timeout.
   */
  public Duration waitBudget() {
    Duration b =
        options.maxCausalWait() != null ? options.maxCausalWait() : router.policy().maxCausalWait();
    if (queryTimeoutSeconds > 0) {
      Duration q = Duration.ofSeconds(queryTimeoutSeconds);
      if (q.compareTo(b) < 0) {
        b = q;
      }
    }
    return b;
  }

  /**
   * How the current step's node served the read: the decision to report on the connection. Pure;
   * {@link #served} reports it once the connection is in use. Decisions are immutable, so a
   * replica's last plain decision (no fallback, not stale) is reused while the level and preference
   * stay the same: the common read allocates none.
   */
  public RouteDecision decision() {
    ConsistencyLevel level = options.consistency();
    ReadPreference preference = options.readPreference();
    if (step == Step.PRIMARY || step == Step.FALLBACK_PRIMARY) {
      return new RouteDecision(
          owner.primaryName(),
          NodeRole.PRIMARY,
          level,
          preference,
          false,
          step == Step.FALLBACK_PRIMARY ? reason : null,
          false);
    }
    boolean possiblyStale = step == Step.STALE_REPLICA;
    FallbackReason fallback =
        possiblyStale
            ? FallbackReason.SERVED_POSSIBLY_STALE
            : step == Step.REPLICA && primaryDown ? FallbackReason.PRIMARY_UNREACHABLE : null;
    if (fallback != null) {
      return new RouteDecision(
          replica.name(), NodeRole.REPLICA, level, preference, false, fallback, possiblyStale);
    }
    RouteDecision d = replica.plainDecision;
    if (d == null || d.readPreference() != preference || !d.consistency().equals(level)) {
      d =
          new RouteDecision(
              replica.name(), NodeRole.REPLICA, level, preference, false, null, false);
      replica.plainDecision = d;
    }
    return d;
  }

  /** Reports {@code decision} to the listeners: {@code onRoute}, then {@code onFallback} if any. */
  public void served(RouteDecision decision) {
    router.listener().onRoute(decision);
    if (decision.fallback() != null) {
      router.listener().onFallback(decision.fallback(), decision);
    }
  }

  /**
   * Whether the {@code server} a connection of replica {@code r} reached may serve this read by
   * what is known of it. Free when that suffices (the common case: one server per replica name,
   * token covered). A name not declared load-balanced whose connection reached another server than
   * the one sampled is reset and rejected.
   */
  public ServerCheck checkServer(ReplicaState r, String server) {
    if (server == null) {
      return ServerCheck.QUALIFIES;
    }
    if (!r.reached(server)) {
      return ServerCheck.REJECTED;
    }
    ConsistencyLevel.Kind kind = options.consistency().kind();
    Instant now = router.clock().instant();
    checkedAt = now;
    if (kind == ConsistencyLevel.Kind.READ_YOUR_WRITES && token != null) {
      if (r.covers(server, token)) {
        return ServerCheck.QUALIFIES;
      }
    } else if (!r.loadBalanced()) {
      return ServerCheck.QUALIFIES;
    } else if (kind == ConsistencyLevel.Kind.BOUNDED_STALENESS) {
      if (withinBound(r.staleness(server, now))) {
        return ServerCheck.QUALIFIES;
      }
    } else if (r.servesFresh(server, now)) {
      return ServerCheck.QUALIFIES;
    }
    return ServerCheck.READ_POSITION;
  }

  /**
   * After {@link ServerCheck#READ_POSITION}: records {@code replay}, read on that very connection
   * (null: it could not be read), and says whether the server qualifies at it.
   */
  public boolean qualifiesAt(ReplicaState r, String server, ReplicationPosition replay) {
    if (replay == null) {
      return false;
    }
    boolean good;
    if (r.loadBalanced()) {
      good = router.checkServerLag(r, server, replay);
    } else {
      r.observePosition(server, replay);
      good = true;
    }
    ConsistencyLevel.Kind kind = options.consistency().kind();
    if (kind == ConsistencyLevel.Kind.READ_YOUR_WRITES && token != null) {
      return replay.covers(token);
    }
    if (kind == ConsistencyLevel.Kind.BOUNDED_STALENESS) {
      return withinBound(r.staleness(server, checkedAt));
    }
    return good;
  }

  private boolean withinBound(Duration staleness) {
    return staleness != null && staleness.compareTo(options.consistency().maxStaleness()) <= 0;
  }

  /**
   * Whether a connection to {@code server} of replica {@code r}, routed for an earlier read, may
   * serve the next read without routing again, under the options and session in effect now: the
   * replica is still eligible, the read was not served possibly stale, a name with one server still
   * samples that server, and the level is met by what is known (token covered by that server,
   * staleness within the bound, or, for a load-balanced name, that server measured fresh).
   */
  public boolean stillQualifies(ReplicaState r, String server, boolean possiblyStale) {
    if (!r.isEligible(router.clock().instant()) || possiblyStale) {
      return false;
    }
    if (server != null && !r.loadBalanced() && !server.equals(r.lastServer())) {
      return false;
    }
    RoutingOptions o = options();
    ConsistencyLevel lvl = o.consistency();
    if (lvl.kind() == ConsistencyLevel.Kind.STRONG
        || o.readPreference() == ReadPreference.PRIMARY) {
      return false;
    }
    if (lvl.kind() == ConsistencyLevel.Kind.READ_YOUR_WRITES) {
      ConsistencySession s = owner.session();
      String clusterId = owner.clusterId();
      if (s.untrustedReason(clusterId).isPresent()) {
        return false;
      }
      Optional<CausalToken> t = s.token(clusterId);
      if (t.isPresent()) {
        return r.covers(server, t.get().position());
      }
    }
    if (lvl.kind() == ConsistencyLevel.Kind.BOUNDED_STALENESS) {
      Duration st = r.staleness(server, router.clock().instant());
      return st != null && st.compareTo(lvl.maxStaleness()) <= 0;
    }
    return server == null || r.servesFresh(server, router.clock().instant());
  }

  private String describeReplicas() {
    if (router.states().isEmpty()) {
      return "no replicas configured";
    }
    StringBuilder b = new StringBuilder("replicas:");
    for (var s : router.replicas()) {
      b.append(' ')
          .append(s.name())
          .append(s.admitted() ? "=admitted" : "=excluded")
          .append("/breaker=")
          .append(s.circuitBreakerState());
    }
    return b.toString();
  }

  /** The planned candidates as a value (tests, diagnostics). */
  RoutePlan toPlan() {
    return new RoutePlan(
        primaryFirst,
        List.copyOf(Arrays.asList(ready).subList(0, readyCount)),
        wait == null ? List.of() : List.copyOf(Arrays.asList(wait).subList(0, waitCount)),
        primaryAllowed,
        reason);
  }
}
