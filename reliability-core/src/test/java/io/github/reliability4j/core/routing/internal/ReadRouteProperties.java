package io.github.reliability4j.core.routing.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.routing.CausalToken;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.LsnPosition;
import io.github.reliability4j.core.routing.NodeRole;
import io.github.reliability4j.core.routing.PartitionBehavior;
import io.github.reliability4j.core.routing.ReadPreference;
import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.core.routing.RoutingListener;
import io.github.reliability4j.core.routing.RoutingOptions;
import io.github.reliability4j.core.routing.RoutingPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The steps of a read ({@link ReadRoute}) against a simple model, without JDBC: replicas with a
 * replay position and a sampled lag, some down (excluded by a failed probe), some refusing
 * connections or waits at read time; a primary that may be down; a token; a staleness bound; spill
 * permits partly taken by other reads. The model executor carries the steps out as the JDBC one
 * does. Whatever the world, a read never lands on a replica that does not satisfy its level unless
 * it is flagged possibly stale, the steps come in the documented order, and spill permits are
 * conserved.
 */
class ReadRouteProperties {

  /** The connection a route belongs to. */
  record Owner(String clusterId, String primaryName, ConsistencySession session)
      implements ReadRoute.Owner {}

  /** One replica of the model world. */
  record Replica(long replay, boolean down, boolean refusesConnections, boolean waitCatchesUp) {}

  @Provide
  Arbitrary<List<Replica>> replicas() {
    return Combinators.combine(
            Arbitraries.longs().between(0, 1000),
            Arbitraries.of(false, false, true),
            Arbitraries.of(false, false, true),
            Arbitraries.of(true, false))
        .as(Replica::new)
        .list()
        .ofMinSize(0)
        .ofMaxSize(5);
  }

  @Provide
  Arbitrary<ConsistencyLevel> levels() {
    return Arbitraries.oneOf(
        Arbitraries.of(
            ConsistencyLevel.STRONG, ConsistencyLevel.READ_YOUR_WRITES, ConsistencyLevel.ANY),
        Arbitraries.integers()
            .between(0, 3000)
            .map(ms -> ConsistencyLevel.boundedStaleness(Duration.ofMillis(ms))));
  }

  /**
   * What the model executor saw: each step with its replica's index (-1: none), and the decision of
   * the step that served the read (null: refused).
   */
  record Walk(List<ReadRoute.Step> steps, List<Integer> replicas, RouteDecision served) {

    int servedBy() {
      return replicas.get(replicas.size() - 1);
    }
  }

  @Property(tries = 1000)
  void aReadLandsOnlyWhereItsLevelAllowsAndStepsComeInOrder(
      @ForAll("replicas") List<Replica> world,
      @ForAll("levels") ConsistencyLevel level,
      @ForAll ReadPreference preference,
      @ForAll PartitionBehavior partition,
      @ForAll boolean primaryUp,
      @ForAll boolean withToken,
      @ForAll @LongRange(min = 0, max = 1200) long token,
      @ForAll @IntRange(min = 1, max = 3) int maxFallbacks,
      @ForAll @IntRange(min = 0, max = 3) int fallbacksElsewhere) {
    ReplicaRouterTest t = new ReplicaRouterTest();
    List<String> names = names(world);
    List<String> refusals = new ArrayList<>();
    RoutingListener listener =
        new RoutingListener() {
          @Override
          public void onReadRefused(String reason) {
            refusals.add(reason);
          }
        };
    RoutingPolicy policy =
        RoutingPolicy.custom()
            .maxReplicaLag(Duration.ofSeconds(1))
            .maxConcurrentFallbackReads(maxFallbacks)
            .build();
    ReplicaRouter router = router(t, world, names, token, policy, listener);
    int taken = 0;
    for (int i = 0; i < fallbacksElsewhere; i++) {
      if (router.tryAcquireFallbackPermit()) {
        taken++;
      }
    }
    boolean permitFree = taken < maxFallbacks;

    ReadRoute route =
        new ReadRoute(router, new Owner("cluster", "primary", ConsistencySession.create()));
    RoutingOptions options =
        RoutingOptions.custom()
            .consistency(level)
            .readPreference(preference)
            .partitionBehavior(partition)
            .maxCausalWait(Duration.ofMillis(100))
            .build();
    LsnPosition required = withToken ? LsnPosition.of(token) : null;
    route.plan(options, required, false);
    Walk walk = walk(route, world, names, primaryUp);
    List<ReadRoute.Step> steps = walk.steps();

    // Order: PRIMARY, REPLICA..., CAUSAL_WAIT..., FALLBACK_PRIMARY, STALE_REPLICA..., REFUSED.
    for (int i = 1; i < steps.size(); i++) {
      assertThat(steps.get(i).ordinal()).isGreaterThanOrEqualTo(steps.get(i - 1).ordinal());
    }
    assertThat(steps.stream().filter(s -> s == ReadRoute.Step.PRIMARY).count())
        .isLessThanOrEqualTo(1);
    assertThat(steps.stream().filter(s -> s == ReadRoute.Step.FALLBACK_PRIMARY).count())
        .isLessThanOrEqualTo(1);
    boolean strongOnly =
        level.kind() == ConsistencyLevel.Kind.STRONG || preference == ReadPreference.PRIMARY;
    if (strongOnly) {
      assertThat(steps)
          .doesNotContain(
              ReadRoute.Step.REPLICA, ReadRoute.Step.CAUSAL_WAIT, ReadRoute.Step.FALLBACK_PRIMARY);
      assertThat(steps.get(0)).isEqualTo(ReadRoute.Step.PRIMARY);
    }
    if (preference == ReadPreference.REPLICA) {
      assertThat(steps).doesNotContain(ReadRoute.Step.FALLBACK_PRIMARY);
    }
    if (steps.contains(ReadRoute.Step.PRIMARY)) {
      // The primary is asked once per read: after it failed, no fallback to it.
      assertThat(steps).doesNotContain(ReadRoute.Step.FALLBACK_PRIMARY);
    }
    if (steps.contains(ReadRoute.Step.FALLBACK_PRIMARY)) {
      assertThat(permitFree).isTrue();
    }
    if (steps.contains(ReadRoute.Step.CAUSAL_WAIT)) {
      assertThat(level.kind()).isEqualTo(ConsistencyLevel.Kind.READ_YOUR_WRITES);
      assertThat(required).isNotNull();
    }
    // A possibly stale read only after the primary failed, and only when the partition permits.
    if (steps.contains(ReadRoute.Step.STALE_REPLICA)) {
      assertThat(primaryUp).isFalse();
      assertThat(partition).isEqualTo(PartitionBehavior.SERVE_POSSIBLY_STALE);
    }
    // Every replica and wait step is on a replica that is up; a replica step's replica satisfies
    // the level by what is known, a wait step's does not yet.
    for (int i = 0; i < steps.size(); i++) {
      ReadRoute.Step step = steps.get(i);
      if (step != ReadRoute.Step.REPLICA && step != ReadRoute.Step.CAUSAL_WAIT) {
        continue;
      }
      Replica r = world.get(walk.replicas().get(i));
      assertThat(r.down()).as("an excluded replica is never tried").isFalse();
      boolean covers = required == null || r.replay() >= token;
      if (level.kind() == ConsistencyLevel.Kind.READ_YOUR_WRITES) {
        assertThat(covers).isEqualTo(step == ReadRoute.Step.REPLICA);
      }
      if (level.kind() == ConsistencyLevel.Kind.BOUNDED_STALENESS) {
        assertThat(router.state(names.get(walk.replicas().get(i))).staleness(t.clock.instant()))
            .isNotNull()
            .isLessThanOrEqualTo(level.maxStaleness());
      }
    }
    RouteDecision d = walk.served();
    if (d == null) {
      assertThat(steps.get(steps.size() - 1)).isEqualTo(ReadRoute.Step.REFUSED);
      assertThat(route.refusal()).isNotNull();
      assertThat(refusals).containsExactly(route.refusal());
      assertThat(route.next()).isEqualTo(ReadRoute.Step.REFUSED);
      assertThat(refusals).hasSize(1);
    } else {
      assertThat(steps).doesNotContain(ReadRoute.Step.REFUSED);
      assertThat(d.consistency()).isEqualTo(level);
      assertThat(d.readPreference()).isEqualTo(preference);
      if (d.role() == NodeRole.PRIMARY) {
        assertThat(primaryUp).isTrue();
      } else if (!d.possiblyStale()) {
        Replica r = world.get(walk.servedBy());
        assertThat(r.down()).as("an excluded replica serves no read").isFalse();
        assertThat(strongOnly).isFalse();
        if (level.kind() == ConsistencyLevel.Kind.READ_YOUR_WRITES && required != null) {
          ReadRoute.Step last = steps.get(steps.size() - 1);
          assertThat(r.replay() >= token || (last == ReadRoute.Step.CAUSAL_WAIT))
              .as("a read-your-writes read lands only on a replica that covers the token")
              .isTrue();
        }
        if (level.kind() == ConsistencyLevel.Kind.BOUNDED_STALENESS) {
          assertThat(router.state(names.get(walk.servedBy())).staleness(t.clock.instant()))
              .as("a bounded-staleness read lands only on a replica within the bound")
              .isNotNull()
              .isLessThanOrEqualTo(level.maxStaleness());
        }
      } else {
        assertThat(d.fallback()).isEqualTo(FallbackReason.SERVED_POSSIBLY_STALE);
      }
    }
    // Spill permits: the read holds one only if the fallback served it; none leaked otherwise.
    boolean holds = d != null && steps.get(steps.size() - 1) == ReadRoute.Step.FALLBACK_PRIMARY;
    int free = 0;
    while (router.tryAcquireFallbackPermit()) {
      free++;
    }
    assertThat(free).isEqualTo(maxFallbacks - taken - (holds ? 1 : 0));
  }

  @Property(tries = 500)
  void aHeldReplicaStillQualifiesExactlyWhenAFreshPlanWouldOfferIt(
      @ForAll("replicas") List<Replica> world,
      @ForAll("levels") ConsistencyLevel level,
      @ForAll ReadPreference preference,
      @ForAll boolean withToken,
      @ForAll @LongRange(min = 0, max = 1200) long token,
      @ForAll boolean untrusted) {
    ReplicaRouterTest t = new ReplicaRouterTest();
    List<String> names = names(world);
    RoutingPolicy policy = RoutingPolicy.custom().maxReplicaLag(Duration.ofSeconds(1)).build();
    ReplicaRouter router = router(t, world, names, token, policy, RoutingListener.NOOP);
    ConsistencySession session = ConsistencySession.create();
    if (withToken) {
      session.advance(new CausalToken("cluster", LsnPosition.of(token)));
    }
    if (untrusted) {
      session.markUntrusted("cluster", "imported token failed verification");
    }
    ReadRoute route = new ReadRoute(router, new Owner("cluster", "primary", session));
    RoutingOptions options =
        RoutingOptions.custom().consistency(level).readPreference(preference).build();
    try (Consistency.Scope scope = Consistency.options(options)) {
      route.start(0);
      List<ReplicaState> offered = Arrays.asList(route.ready).subList(0, route.readyCount);
      for (ReplicaState r : router.states()) {
        // The one rule, asked by a new read (plan) and by a connection that holds r: same answer.
        assertThat(route.stillQualifies(r, null, false)).isEqualTo(offered.contains(r));
        assertThat(route.stillQualifies(r, null, true)).isFalse();
      }
    }
  }

  static List<String> names(List<Replica> world) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < world.size(); i++) {
      names.add("r" + i);
    }
    return names;
  }

  /**
   * A router over {@code world}: every replica sampled at 0, then, 500 ms later, the primary at the
   * newest position (at least {@code token}) and each replica at its replay position (or down), so
   * a replica's staleness is 0 if it has replayed the newest position and about 700 ms otherwise.
   */
  static ReplicaRouter router(
      ReplicaRouterTest t,
      List<Replica> world,
      List<String> names,
      long token,
      RoutingPolicy policy,
      RoutingListener listener) {
    ReplicaRouter router = new ReplicaRouter(policy, names, listener, t.clock);
    t.probe.primary = 0;
    for (String n : names) {
      t.probe.replicas.put(n, 0L);
    }
    router.sampleAll(t.probe);
    t.clock.advance(Duration.ofMillis(500));
    long newest = token;
    for (Replica r : world) {
      newest = Math.max(newest, r.replay());
    }
    t.probe.primary = newest;
    for (int i = 0; i < world.size(); i++) {
      t.probe.replicas.put(names.get(i), world.get(i).replay());
      t.probe.down.put(names.get(i), world.get(i).down());
    }
    router.sampleAll(t.probe);
    t.clock.advance(Duration.ofMillis(200));
    return router;
  }

  /** Carries the steps out against the model world, as the JDBC executor does. */
  static Walk walk(ReadRoute route, List<Replica> world, List<String> names, boolean primaryUp) {
    List<ReadRoute.Step> steps = new ArrayList<>();
    List<Integer> replicas = new ArrayList<>();
    for (int guard = 0; guard < 100; guard++) {
      ReadRoute.Step step = route.next();
      int i = route.replica() == null ? -1 : names.indexOf(route.replica().name());
      steps.add(step);
      replicas.add(i);
      switch (step) {
        case PRIMARY, FALLBACK_PRIMARY -> {
          if (primaryUp) {
            return new Walk(steps, replicas, route.decision());
          }
          route.primaryFailed(new IllegalStateException("primary down"));
        }
        case REPLICA, STALE_REPLICA -> {
          if (!world.get(i).refusesConnections()) {
            if (step == ReadRoute.Step.REPLICA
                && route.checkServer(route.replica(), null) != ReadRoute.ServerCheck.QUALIFIES) {
              route.replicaRejected();
            } else {
              return new Walk(steps, replicas, route.decision());
            }
          }
        }
        case CAUSAL_WAIT -> {
          if (!world.get(i).refusesConnections()) {
            if (world.get(i).waitCatchesUp()) {
              return new Walk(steps, replicas, route.decision());
            }
            route.waitFailed();
          }
        }
        case REFUSED -> {
          return new Walk(steps, replicas, null);
        }
      }
    }
    throw new AssertionError("no end after 100 steps: " + steps);
  }
}
