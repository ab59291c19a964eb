package io.github.reliability4j.core.routing.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.LoadBalancing;
import io.github.reliability4j.core.routing.LsnPosition;
import io.github.reliability4j.core.routing.ReadPreference;
import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.ReplicationProbe;
import io.github.reliability4j.core.routing.RoutingListener;
import io.github.reliability4j.core.routing.RoutingPolicy;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplicaRouterTest {

  static final class MutableClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  static final class FakeProbe implements ReplicationProbe {
    long primary;
    long ticks;
    final Map<String, Long> latencyNanos = new HashMap<>();
    final Map<String, Long> replicas = new HashMap<>();
    final Map<String, Boolean> down = new HashMap<>();

    @Override
    public ReplicationPosition primaryPosition() {
      ticks += latencyNanos.getOrDefault("primary", 1_000_000L);
      return LsnPosition.of(primary);
    }

    @Override
    public ReplicationPosition replayPosition(String replica) throws Exception {
      if (down.getOrDefault(replica, false)) {
        throw new SQLException("connection refused", "08001");
      }
      ticks += latencyNanos.getOrDefault(replica, 1_000_000L);
      return LsnPosition.of(replicas.get(replica));
    }
  }

  final MutableClock clock = new MutableClock();
  final FakeProbe probe = new FakeProbe();
  final List<String> events = new ArrayList<>();
  final List<LagSample> samples = new ArrayList<>();
  final RoutingListener listener =
      new RoutingListener() {
        @Override
        public void onReplicaStateChange(String replica, boolean admitted, String why) {
          events.add(replica + (admitted ? "+" : "-"));
        }

        @Override
        public void onLagSample(LagSample sample) {
          samples.add(sample);
        }
      };

  ReplicaRouter router(RoutingPolicy policy, String... replicas) {
    for (String r : replicas) {
      probe.replicas.put(r, 0L);
    }
    return new ReplicaRouter(policy, List.of(replicas), listener, clock, () -> probe.ticks);
  }

  RoutingPolicy policy() {
    return RoutingPolicy.custom()
        .maxReplicaLag(Duration.ofSeconds(2))
        .sampleInterval(Duration.ofMillis(500))
        .readmitAfterSamples(3)
        .build();
  }

  private void tick(ReplicaRouter router) {
    clock.advance(Duration.ofMillis(500));
    router.sampleAll(probe);
  }

  @Test
  void idlePrimaryDoesNotLookLikeLag() {
    ReplicaRouter router = router(policy(), "r1");
    probe.primary = 100;
    probe.replicas.put("r1", 100L);
    for (int i = 0; i < 20; i++) {
      tick(router);
    }
    LagSample last = samples.get(samples.size() - 1);
    assertThat(last.lag()).isEqualTo(Duration.ZERO);
    assertThat(last.lagBytes()).isZero();
    assertThat(router.state("r1").isEligible(clock.instant())).isTrue();
  }

  @Test
  void laggingReplicaIsExcludedAndReadmittedOnlyAfterSeveralGoodSamples() {
    ReplicaRouter router = router(policy(), "r1");
    probe.primary = 100;
    probe.replicas.put("r1", 100L);
    tick(router);
    assertThat(router.state("r1").isEligible(clock.instant())).isTrue();

    // The primary moves on; the replica stops replaying.
    probe.primary = 200;
    for (int i = 0; i < 6; i++) {
      tick(router);
    }
    assertThat(router.state("r1").isEligible(clock.instant())).isFalse();
    assertThat(samples.get(samples.size() - 1).lagBytes()).isEqualTo(100);
    assertThat(events).containsExactly("r1+", "r1-");

    probe.replicas.put("r1", 200L);
    tick(router);
    tick(router);
    assertThat(router.state("r1").isEligible(clock.instant())).as("after 2 good").isFalse();
    tick(router);
    assertThat(router.state("r1").isEligible(clock.instant())).as("after 3 good").isTrue();
    assertThat(events).containsExactly("r1+", "r1-", "r1+");
  }

  @Test
  void byteLimitExcludes() {
    ReplicaRouter router =
        router(RoutingPolicy.from(policy()).maxReplicaLagBytes(50).build(), "r1");
    probe.primary = 100;
    probe.replicas.put("r1", 100L);
    tick(router);
    probe.primary = 1000;
    probe.replicas.put("r1", 900L);
    tick(router);
    assertThat(router.state("r1").isEligible(clock.instant())).isFalse();
  }

  @Test
  void failedProbeAndExpiredSamplesCountAsStale() {
    ReplicaRouter router = router(policy(), "r1", "r2");
    tick(router);
    assertThat(router.state("r1").isEligible(clock.instant())).isTrue();
    probe.down.put("r1", true);
    tick(router);
    assertThat(router.state("r1").isEligible(clock.instant())).isFalse();
    assertThat(router.replica("r1").orElseThrow().lastSample().error()).isNotNull();

    // No sampling at all (monitor died): r2 expires after sampleExpiry.
    assertThat(router.state("r2").isEligible(clock.instant())).isTrue();
    clock.advance(Duration.ofMillis(1501));
    assertThat(router.state("r2").isEligible(clock.instant())).isFalse();
  }

  @Test
  void connectionFailureEjectsAtOnce() {
    ReplicaRouter router = router(policy(), "r1");
    tick(router);
    router.state("r1").connectionFailed(new SQLException("refused"));
    assertThat(router.state("r1").isEligible(clock.instant())).isFalse();
    RoutePlan plan =
        router.plan(ConsistencyLevel.ANY, ReadPreference.REPLICA_PREFERRED, null, false);
    assertThat(plan.ready()).isEmpty();
    assertThat(plan.fallbackReason()).isEqualTo(FallbackReason.NO_ELIGIBLE_REPLICA);
  }

  @Test
  void readYourWritesUsesOnlyCoveringReplicasAndOffersTheFreshestForWaiting() {
    ReplicaRouter router = router(policy(), "r1", "r2", "r3");
    probe.primary = 250;
    probe.replicas.putAll(Map.of("r1", 250L, "r2", 250L, "r3", 250L));
    tick(router);
    probe.primary = 280;
    probe.replicas.putAll(Map.of("r1", 280L, "r3", 280L));
    tick(router);
    probe.primary = 300;
    probe.replicas.put("r1", 300L);
    tick(router);
    RoutePlan plan =
        router.plan(
            ConsistencyLevel.READ_YOUR_WRITES,
            ReadPreference.REPLICA_PREFERRED,
            LsnPosition.of(290),
            false);
    assertThat(plan.ready()).extracting(ReplicaState::name).containsExactly("r1");
    assertThat(plan.waitCandidates()).extracting(ReplicaState::name).containsExactly("r3", "r2");

    RoutePlan none =
        router.plan(
            ConsistencyLevel.READ_YOUR_WRITES,
            ReadPreference.REPLICA_PREFERRED,
            LsnPosition.of(301),
            false);
    assertThat(none.ready()).isEmpty();
    assertThat(none.fallbackReason()).isEqualTo(FallbackReason.TOKEN_NOT_COVERED);
    assertThat(none.primaryAllowed()).isTrue();

    RoutePlan untrusted =
        router.plan(
            ConsistencyLevel.READ_YOUR_WRITES, ReadPreference.REPLICA_PREFERRED, null, true);
    assertThat(untrusted.ready()).isEmpty();
    assertThat(untrusted.fallbackReason()).isEqualTo(FallbackReason.UNTRUSTED_TOKEN);
  }

  @Test
  void boundedStalenessUsesMeasuredLag() {
    ReplicaRouter router = router(policy(), "fresh", "behind");
    probe.primary = 100;
    tick(router);
    probe.replicas.put("fresh", 100L);
    probe.replicas.put("behind", 100L);
    tick(router);
    probe.primary = 200;
    probe.replicas.put("fresh", 200L);
    tick(router);
    tick(router);
    // "behind" is current as of two samples ago (1s); "fresh" as of now.
    RoutePlan plan =
        router.plan(
            ConsistencyLevel.boundedStaleness(Duration.ofMillis(600)),
            ReadPreference.REPLICA_PREFERRED,
            null,
            false);
    assertThat(plan.ready()).extracting(ReplicaState::name).containsExactly("fresh");
    clock.advance(Duration.ofMillis(1));
    RoutePlan tight =
        router.plan(
            ConsistencyLevel.boundedStaleness(Duration.ZERO),
            ReadPreference.REPLICA_PREFERRED,
            null,
            false);
    assertThat(tight.ready()).isEmpty();
    assertThat(tight.fallbackReason()).isEqualTo(FallbackReason.STALENESS_BOUND);
  }

  @Test
  void strongAndPrimaryPreferenceNeverPlanReplicas() {
    ReplicaRouter router = router(policy(), "r1");
    tick(router);
    assertThat(router.plan(ConsistencyLevel.STRONG, ReadPreference.REPLICA, null, false).ready())
        .isEmpty();
    RoutePlan p = router.plan(ConsistencyLevel.ANY, ReadPreference.PRIMARY, null, false);
    assertThat(p.primaryFirst()).isTrue();
    assertThat(p.ready()).isEmpty();
    assertThat(
            router.plan(ConsistencyLevel.ANY, ReadPreference.REPLICA, null, false).primaryAllowed())
        .isFalse();
  }

  @Test
  void roundRobinSpreadsEvenly() {
    ReplicaRouter router = router(policy(), "a", "b", "c");
    tick(router);
    Map<String, Integer> firsts = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      String first =
          router
              .plan(ConsistencyLevel.ANY, ReadPreference.REPLICA_PREFERRED, null, false)
              .ready()
              .get(0)
              .name();
      firsts.merge(first, 1, Integer::sum);
    }
    assertThat(firsts).containsOnlyKeys("a", "b", "c").containsValues(100, 100, 100);
  }

  @Test
  void leastOutstandingPrefersTheIdleReplica() {
    ReplicaRouter router =
        router(
            RoutingPolicy.from(policy()).loadBalancing(LoadBalancing.LEAST_OUTSTANDING).build(),
            "a",
            "b");
    tick(router);
    router.state("a").acquired();
    router.state("a").acquired();
    for (int i = 0; i < 10; i++) {
      assertThat(
              router
                  .plan(ConsistencyLevel.ANY, ReadPreference.REPLICA_PREFERRED, null, false)
                  .ready()
                  .get(0)
                  .name())
          .isEqualTo("b");
    }
  }

  @Test
  void fallbackCapLimitsConcurrentPermits() {
    ReplicaRouter router =
        router(RoutingPolicy.from(policy()).maxConcurrentFallbackReads(2).build(), "a");
    assertThat(router.tryAcquireFallbackPermit()).isTrue();
    assertThat(router.tryAcquireFallbackPermit()).isTrue();
    assertThat(router.tryAcquireFallbackPermit()).isFalse();
    router.releaseFallbackPermit();
    assertThat(router.tryAcquireFallbackPermit()).isTrue();
  }

  @Test
  void openCircuitBreakerMakesReplicaIneligible() {
    ReplicaRouter router = router(policy(), "a");
    tick(router);
    router.state("a").circuitBreaker().transitionToOpenState();
    assertThat(router.state("a").isEligible(clock.instant())).isFalse();
    assertThat(router.staleCandidates()).isEmpty();
  }

  @Test
  void nearestPicksTheLowestLatencyNodePrimaryIncluded() {
    ReplicaRouter router = router(policy(), "far", "near");
    probe.latencyNanos.putAll(Map.of("primary", 5_000_000L, "far", 9_000_000L, "near", 2_000_000L));
    tick(router);
    RoutePlan plan = router.plan(ConsistencyLevel.ANY, ReadPreference.NEAREST, null, false);
    assertThat(plan.primaryFirst()).isFalse();
    assertThat(plan.ready()).extracting(ReplicaState::name).containsExactly("near", "far");

    probe.latencyNanos.put("primary", 100_000L);
    for (int i = 0; i < 10; i++) {
      tick(router); // the latency average converges
    }
    assertThat(
            router.plan(ConsistencyLevel.ANY, ReadPreference.NEAREST, null, false).primaryFirst())
        .isTrue();
  }

  @Test
  void lowestLatencyBalancingPrefersTheFastReplica() {
    ReplicaRouter router =
        router(
            RoutingPolicy.from(policy()).loadBalancing(LoadBalancing.LOWEST_LATENCY).build(),
            "slow",
            "fast");
    probe.latencyNanos.putAll(Map.of("slow", 9_000_000L, "fast", 1_000_000L));
    tick(router);
    for (int i = 0; i < 5; i++) {
      assertThat(
              router
                  .plan(ConsistencyLevel.ANY, ReadPreference.REPLICA_PREFERRED, null, false)
                  .ready()
                  .get(0)
                  .name())
          .isEqualTo("fast");
    }
  }

  @Test
  void replicaDownAtStartNeedsSeveralGoodSamplesToo() {
    ReplicaRouter router = router(policy(), "r1");
    probe.down.put("r1", true);
    tick(router);
    probe.down.put("r1", false);
    tick(router);
    tick(router);
    assertThat(router.state("r1").isEligible(clock.instant())).isFalse();
    tick(router);
    assertThat(router.state("r1").isEligible(clock.instant())).isTrue();
  }
}
