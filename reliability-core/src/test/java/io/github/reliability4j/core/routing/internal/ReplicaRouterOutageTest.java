package io.github.reliability4j.core.routing.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.github.reliability4j.core.routing.internal.ReplicaRouterTest.MutableClock;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The primary down, ties between replicas, unhonourable staleness bounds (issue 22), on an injected
 * clock.
 */
class ReplicaRouterOutageTest {

  /** A probe whose primary can fail. */
  static final class Probe implements ReplicationProbe {
    volatile long primary;
    volatile boolean primaryDown;
    final Map<String, Long> replicas = new ConcurrentHashMap<>();

    @Override
    public ReplicationPosition primaryPosition() throws Exception {
      if (primaryDown) {
        throw new SQLException("connection refused", "08001");
      }
      return LsnPosition.of(primary);
    }

    @Override
    public ReplicationPosition replayPosition(String replica) {
      return LsnPosition.of(replicas.get(replica));
    }
  }

  final MutableClock clock = new MutableClock();
  final Probe probe = new Probe();
  final List<LagSample> samples = new ArrayList<>();
  final List<String> warnings = new CopyOnWriteArrayList<>();
  final RoutingListener listener =
      new RoutingListener() {
        @Override
        public void onLagSample(LagSample sample) {
          samples.add(sample);
        }

        @Override
        public void onWarning(String message) {
          warnings.add(message);
        }
      };

  RoutingPolicy policy() {
    return RoutingPolicy.custom()
        .maxReplicaLag(Duration.ofSeconds(2))
        .sampleInterval(Duration.ofMillis(500))
        .build();
  }

  ReplicaRouter router(RoutingPolicy policy, String... names) {
    for (String n : names) {
      probe.replicas.put(n, 0L);
    }
    return new ReplicaRouter(policy, List.of(names), listener, clock);
  }

  void tick(ReplicaRouter router) {
    clock.advance(Duration.ofMillis(500));
    router.sampleAll(probe);
  }

  RoutePlan plan(ReplicaRouter router, ConsistencyLevel level, ReplicationPosition token) {
    return router.plan(level, ReadPreference.REPLICA_PREFERRED, token, false);
  }

  @Test
  void caughtUpReplicasKeepServingThroughALongPrimaryOutage() {
    ReplicaRouter router = router(policy(), "r1", "r2");
    probe.primary = 100;
    probe.replicas.putAll(Map.of("r1", 100L, "r2", 100L));
    tick(router);
    tick(router);
    assertThat(router.primaryUnreachable()).isNull();

    probe.primaryDown = true;
    // 60 s of outage, 30 times maxReplicaLag.
    for (int i = 0; i < 120; i++) {
      tick(router);
      assertThat(router.primaryUnreachable()).contains("connection refused");
      RoutePlan noToken = plan(router, ConsistencyLevel.READ_YOUR_WRITES, null);
      assertThat(noToken.ready())
          .extracting(ReplicaState::name)
          .containsExactlyInAnyOrder("r1", "r2");
      RoutePlan replayed = plan(router, ConsistencyLevel.READ_YOUR_WRITES, LsnPosition.of(90));
      assertThat(replayed.ready()).hasSize(2);
    }
    LagSample last = samples.get(samples.size() - 1);
    assertThat(last.lag())
        .as("lag against the primary's last known state")
        .isEqualTo(Duration.ZERO);
    assertThat(last.admitted()).isTrue();

    RoutePlan notReplayed = plan(router, ConsistencyLevel.READ_YOUR_WRITES, LsnPosition.of(150));
    assertThat(notReplayed.ready()).isEmpty();
    assertThat(notReplayed.fallbackReason()).isEqualTo(FallbackReason.TOKEN_NOT_COVERED);

    // Bounded staleness is not rebased: nobody knows what the primary committed meanwhile.
    RoutePlan bounded =
        plan(router, ConsistencyLevel.boundedStaleness(Duration.ofSeconds(5)), null);
    assertThat(bounded.ready()).isEmpty();
    assertThat(bounded.fallbackReason()).isEqualTo(FallbackReason.STALENESS_BOUND);

    probe.primaryDown = false;
    tick(router);
    assertThat(router.primaryUnreachable()).isNull();
    assertThat(plan(router, ConsistencyLevel.boundedStaleness(Duration.ofSeconds(5)), null).ready())
        .hasSize(2);
  }

  @Test
  void duringAnOutageLagIsMeasuredAgainstThePrimarysLastKnownPosition() {
    ReplicaRouter router = router(policy(), "behind", "current");
    probe.primary = 100;
    probe.replicas.putAll(Map.of("behind", 100L, "current", 100L));
    tick(router);
    probe.primary = 200;
    probe.replicas.put("current", 200L);
    for (int i = 0; i < 5; i++) {
      tick(router);
    }
    probe.primaryDown = true;
    for (int i = 0; i < 40; i++) {
      tick(router);
    }
    assertThat(router.state("current").isEligible(clock.instant())).isTrue();
    // "behind" covers only the primary sample 2.5 s before the primary was last seen (at 200),
    // and that stays its lag however long the outage lasts.
    assertThat(router.state("behind").isEligible(clock.instant())).isFalse();
    LagSample behind =
        samples.stream()
            .filter(s -> s.replica().equals("behind"))
            .reduce((a, b) -> b)
            .orElseThrow();
    assertThat(behind.lag()).isEqualTo(Duration.ofMillis(2500));
    assertThat(behind.lagBytes()).isEqualTo(100);

    // It replays the rest of what it received: admitted again, the outage still going on.
    probe.replicas.put("behind", 200L);
    for (int i = 0; i < 3; i++) {
      tick(router);
    }
    assertThat(router.state("behind").isEligible(clock.instant())).isTrue();
  }

  @Test
  void aHungPrimaryProbeNeverDelaysReplicaSamples() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger primaryCalls = new AtomicInteger();
    Map<String, AtomicInteger> replicaCalls = new ConcurrentHashMap<>();
    ReplicationProbe hanging =
        new ReplicationProbe() {
          @Override
          public ReplicationPosition primaryPosition() throws Exception {
            if (primaryCalls.incrementAndGet() > 1) {
              release.await();
            }
            return LsnPosition.of(1);
          }

          @Override
          public ReplicationPosition replayPosition(String replica) {
            replicaCalls.computeIfAbsent(replica, k -> new AtomicInteger()).incrementAndGet();
            return LsnPosition.of(1);
          }
        };
    ReplicaRouter router =
        new ReplicaRouter(
            RoutingPolicy.custom().sampleInterval(Duration.ofMillis(10)).build(),
            List.of("r1", "r2"),
            listener,
            java.time.Clock.systemUTC());
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(3);
    try {
      router.startMonitoring(scheduler, hanging);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (primaryCalls.get() < 2
          || replicaCalls.getOrDefault("r1", new AtomicInteger()).get() < 20
          || replicaCalls.getOrDefault("r2", new AtomicInteger()).get() < 20) {
        assertThat(System.nanoTime())
            .as("replicas sampled while the primary hangs")
            .isLessThan(deadline);
        Thread.sleep(5);
      }
      assertThat(primaryCalls.get()).as("one primary probe in flight at a time").isEqualTo(2);
    } finally {
      release.countDown();
      router.close();
      scheduler.shutdownNow();
    }
  }

  @Test
  void tiesOnFreshnessAreSpreadAcrossReplicas() {
    for (LoadBalancing lb : LoadBalancing.values()) {
      ReplicaRouter router =
          router(RoutingPolicy.from(policy()).loadBalancing(lb).build(), "a", "b");
      probe.primary = 100;
      probe.replicas.putAll(Map.of("a", 100L, "b", 100L));
      tick(router);
      Map<String, Integer> firstWait = new HashMap<>();
      Map<String, Integer> firstStale = new HashMap<>();
      for (int i = 0; i < 2000; i++) {
        RoutePlan p = plan(router, ConsistencyLevel.READ_YOUR_WRITES, LsnPosition.of(150));
        firstWait.merge(p.waitCandidates().get(0).name(), 1, Integer::sum);
        firstStale.merge(router.staleCandidates().get(0).name(), 1, Integer::sum);
      }
      assertThat(firstWait.get("a")).as(lb + " causal waits on a").isBetween(700, 1300);
      assertThat(firstStale.get("a")).as(lb + " stale reads on a").isBetween(700, 1300);
    }
  }

  @Test
  void tiesUnderLeastOutstandingGoToTheLessLoadedReplica() {
    ReplicaRouter router =
        router(
            RoutingPolicy.from(policy()).loadBalancing(LoadBalancing.LEAST_OUTSTANDING).build(),
            "a",
            "b");
    probe.primary = 100;
    probe.replicas.putAll(Map.of("a", 100L, "b", 100L));
    tick(router);
    router.state("a").acquired();
    for (int i = 0; i < 50; i++) {
      RoutePlan p = plan(router, ConsistencyLevel.READ_YOUR_WRITES, LsnPosition.of(150));
      assertThat(p.waitCandidates()).extracting(ReplicaState::name).containsExactly("b", "a");
    }
  }

  @Test
  void anUnhonourablePerReadBoundIsReportedOncePerBound() {
    ReplicaRouter router = router(policy(), "r1");
    tick(router);
    for (int i = 0; i < 10; i++) {
      plan(router, ConsistencyLevel.boundedStaleness(Duration.ofMillis(500)), null);
      plan(router, ConsistencyLevel.boundedStaleness(Duration.ofMillis(999)), null);
      plan(router, ConsistencyLevel.boundedStaleness(Duration.ofMillis(1000)), null);
    }
    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(0)).contains("500ms", "1000ms", "sampleInterval 500ms");
    assertThat(warnings.get(1)).contains("999ms");
  }

  @Test
  void anUnhonourableDefaultBoundIsRejectedAtBuild() {
    assertThatThrownBy(
            () ->
                RoutingPolicy.custom()
                    .sampleInterval(Duration.ofMillis(500))
                    .defaultConsistency(ConsistencyLevel.boundedStaleness(Duration.ofMillis(500)))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot be honoured with sampleInterval 500ms")
        .hasMessageContaining("below 1000ms");
    assertThat(
            RoutingPolicy.custom()
                .sampleInterval(Duration.ofMillis(500))
                .defaultConsistency(ConsistencyLevel.boundedStaleness(Duration.ofMillis(1000)))
                .build()
                .defaults()
                .consistency())
        .isEqualTo(ConsistencyLevel.boundedStaleness(Duration.ofMillis(1000)));
  }

  /** The replica's own receive status: streaming, replayed all it received, heard from it then. */
  static final class ReceivingProbe implements ReplicationProbe {
    final Probe delegate;
    final Map<String, Duration> receiveAges = new ConcurrentHashMap<>();

    ReceivingProbe(Probe delegate) {
      this.delegate = delegate;
    }

    @Override
    public ReplicationPosition primaryPosition() throws Exception {
      return delegate.primaryPosition();
    }

    @Override
    public ReplicationPosition replayPosition(String replica) {
      return delegate.replayPosition(replica);
    }

    @Override
    public ReplaySample replaySample(String replica) {
      return new ReplaySample(null, replayPosition(replica), receiveAges.get(replica));
    }
  }

  @Test
  void aStreamingReplicaBoundsItsStalenessByItsReceiveAgeWhileThePrimaryIsUnreachable() {
    ReplicaRouter router = router(policy(), "streaming", "detached");
    ReceivingProbe rp = new ReceivingProbe(probe);
    probe.primary = 100;
    probe.replicas.putAll(Map.of("streaming", 100L, "detached", 100L));
    clock.advance(Duration.ofMillis(500));
    router.sampleAll(rp);
    clock.advance(Duration.ofMillis(500));
    router.sampleAll(rp);

    probe.primaryDown = true;
    ConsistencyLevel bound = ConsistencyLevel.boundedStaleness(Duration.ofSeconds(3));
    // The replica keeps replaying what the primary (reachable from it) commits: 20 s of outage.
    for (int i = 0; i < 40; i++) {
      probe.replicas.put("streaming", 100L + i);
      rp.receiveAges.put("streaming", Duration.ofMillis(200));
      clock.advance(Duration.ofMillis(500));
      router.sampleAll(rp);
      RoutePlan plan = plan(router, bound, null);
      if (i >= 8) {
        // Past the bound: only the replica whose receive status vouches for it qualifies.
        assertThat(plan.ready()).extracting(ReplicaState::name).containsExactly("streaming");
      }
      assertThat(router.state("streaming").staleness(clock.instant()))
          .isEqualTo(Duration.ofMillis(200));
    }
    assertThat(router.state("detached").staleness(clock.instant()))
        .isGreaterThan(Duration.ofSeconds(3));

    // Stops hearing from the primary (last message older than sampleExpiry): staleness grows again.
    rp.receiveAges.put("streaming", Duration.ofSeconds(2));
    for (int i = 0; i < 8; i++) {
      clock.advance(Duration.ofMillis(500));
      router.sampleAll(rp);
    }
    assertThat(router.state("streaming").staleness(clock.instant()))
        .isGreaterThan(Duration.ofSeconds(3));
    assertThat(plan(router, bound, null).ready()).isEmpty();
    assertThat(plan(router, bound, null).fallbackReason())
        .isEqualTo(FallbackReason.STALENESS_BOUND);

    // Not streaming / unreplayed WAL (no receive age): staleness keeps growing too.
    rp.receiveAges.remove("streaming");
    clock.advance(Duration.ofMillis(500));
    router.sampleAll(rp);
    assertThat(plan(router, bound, null).ready()).isEmpty();
  }

  @Test
  void aReceiveAgeIsIgnoredWhileThePrimaryAnswers() {
    ReplicaRouter router = router(policy(), "r1");
    ReceivingProbe rp = new ReceivingProbe(probe);
    probe.primary = 100;
    probe.replicas.put("r1", 100L);
    rp.receiveAges.put("r1", Duration.ZERO);
    clock.advance(Duration.ofMillis(500));
    router.sampleAll(rp);
    for (int i = 0; i < 10; i++) {
      probe.primary += 10;
      clock.advance(Duration.ofMillis(500));
      router.sampleAll(rp);
    }
    assertThat(router.state("r1").staleness(clock.instant())).isGreaterThan(Duration.ofSeconds(3));
  }
}
