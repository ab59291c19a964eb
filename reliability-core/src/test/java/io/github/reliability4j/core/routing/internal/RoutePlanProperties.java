package io.github.reliability4j.core.routing.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.LsnPosition;
import io.github.reliability4j.core.routing.ReadPreference;
import io.github.reliability4j.core.routing.RoutingListener;
import io.github.reliability4j.core.routing.RoutingPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/** Selection against a simple model: what a read may be served by. */
class RoutePlanProperties {

  @Property(tries = 300)
  void plannedReplicasSatisfyTheConsistencyLevel(
      @ForAll @Size(min = 1, max = 6) List<@LongRange(min = 0, max = 1000) Long> replays,
      @ForAll @Size(min = 6, max = 6) List<Boolean> down,
      @ForAll @LongRange(min = 0, max = 1000) long primary,
      @ForAll @LongRange(min = 0, max = 1200) long token,
      @ForAll @IntRange(min = 0, max = 3000) int boundMs,
      @ForAll ReadPreference preference) {
    ReplicaRouterTest t = new ReplicaRouterTest();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < replays.size(); i++) {
      names.add("r" + i);
    }
    ReplicaRouter router =
        new ReplicaRouter(
            RoutingPolicy.custom().maxReplicaLag(Duration.ofSeconds(1)).build(),
            names,
            RoutingListener.NOOP,
            t.clock);
    t.probe.primary = 0;
    for (String n : names) {
      t.probe.replicas.put(n, 0L);
    }
    router.sampleAll(t.probe);
    t.clock.advance(Duration.ofMillis(500));
    t.probe.primary = Math.max(primary, Math.max(token, replays.stream().max(Long::compare).get()));
    for (int i = 0; i < names.size(); i++) {
      t.probe.replicas.put(names.get(i), replays.get(i));
      t.probe.down.put(names.get(i), down.get(i));
    }
    router.sampleAll(t.probe);

    RoutePlan ryw =
        router.plan(ConsistencyLevel.READ_YOUR_WRITES, preference, LsnPosition.of(token), false);
    for (ReplicaState r : ryw.ready()) {
      int i = names.indexOf(r.name());
      assertThat(down.get(i)).isFalse();
      assertThat(replays.get(i)).isGreaterThanOrEqualTo(token);
    }
    for (ReplicaState r : ryw.waitCandidates()) {
      assertThat(down.get(names.indexOf(r.name()))).isFalse();
    }
    if (preference == ReadPreference.PRIMARY) {
      assertThat(ryw.ready()).isEmpty();
    }
    if (preference != ReadPreference.PRIMARY && preference != ReadPreference.NEAREST) {
      // Every up, covering replica is offered (they are all within maxReplicaLag here).
      long expected = 0;
      for (int i = 0; i < names.size(); i++) {
        if (!down.get(i) && replays.get(i) >= token) {
          expected++;
        }
      }
      assertThat((long) ryw.ready().size()).isEqualTo(expected);
    }

    RoutePlan bounded =
        router.plan(
            ConsistencyLevel.boundedStaleness(Duration.ofMillis(boundMs)), preference, null, false);
    for (ReplicaState r : bounded.ready()) {
      assertThat(r.staleness(t.clock.instant())).isLessThanOrEqualTo(Duration.ofMillis(boundMs));
    }
    assertThat(router.plan(ConsistencyLevel.STRONG, preference, null, false).ready()).isEmpty();
  }
}
