package io.github.reliability4j.core.routing.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.routing.LsnPosition;
import io.github.reliability4j.core.routing.ReplicaReset;
import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.RoutingListener;
import io.github.reliability4j.core.routing.RoutingPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Per-server positions against a model of the real world: servers behind one replica name, each
 * with a true replay position that only grows while it runs; a server may be replaced by a new
 * instance (a restart from an older clone) that starts <em>behind</em>. Samples, read-time checks
 * and causal waits report the true position of the server they reached. Whatever the sequence,
 * {@code covers(server, token)} is true only if that server's true position covers the token: a
 * read routed on it is never stale.
 */
class ServerPositionProperties {

  /** One step of the world or of the router. */
  record Op(int kind, int server, int amount) {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> op =
        Combinators.combine(
                Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 50))
            .as(Op::new);
    return op.list().ofMinSize(1).ofMaxSize(60);
  }

  @Property(tries = 1000)
  void aServerIsTrustedOnlyForWhatItHasReplayed(
      @ForAll("ops") List<Op> ops, @ForAll boolean loadBalanced) {
    List<String> resets = new ArrayList<>();
    RoutingListener listener =
        new RoutingListener() {
          @Override
          public void onReplicaReset(String replica, ReplicaReset reason, String detail) {
            resets.add(reason.name());
          }
        };
    RoutingPolicy policy =
        RoutingPolicy.custom().maxReplicaLag(Duration.ofDays(1)).readmitAfterSamples(1).build();
    ReplicaState state = new ReplicaState("reader", policy, listener, loadBalanced);
    // slot -> current instance id and its true position
    Map<Integer, Integer> generation = new HashMap<>();
    Map<String, Long> truth = new HashMap<>();
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    for (int i = 0; i < 3; i++) {
      generation.put(i, 0);
      truth.put(id(i, 0), 100L);
    }
    for (Op op : ops) {
      String server = id(op.server(), generation.get(op.server()));
      now = now.plusMillis(10);
      switch (op.kind()) {
        case 0 -> truth.merge(server, (long) op.amount(), Long::sum); // replays further
        case 1 -> { // replaced by an instance that is behind
          long behind = Math.max(0, truth.get(server) - op.amount() - 1);
          int g = generation.get(op.server()) + 1;
          generation.put(op.server(), g);
          truth.put(id(op.server(), g), behind);
        }
        case 2 ->
            state.onSample(server, LsnPosition.of(truth.get(server)), now, now, now, 0, 1_000);
        case 3 -> state.observePosition(server, LsnPosition.of(truth.get(server)));
        default -> {
          state.reached(server);
        }
      }
      for (Map.Entry<String, Long> e : truth.entrySet()) {
        for (long t = 0; t <= 400; t += 7) {
          ReplicationPosition token = LsnPosition.of(t);
          if (state.covers(e.getKey(), token)) {
            assertThat(e.getValue())
                .as("covers(%s, %s) after %s", e.getKey(), t, ops)
                .isGreaterThanOrEqualTo(t);
          }
        }
      }
    }
  }

  @Example
  void aNameWithOneServerIsResetAndExcludedWhenItsServerChanges() {
    List<String> resets = new ArrayList<>();
    List<String> changes = new ArrayList<>();
    RoutingListener listener =
        new RoutingListener() {
          @Override
          public void onReplicaReset(String replica, ReplicaReset reason, String detail) {
            resets.add(reason.name());
          }

          @Override
          public void onReplicaStateChange(String replica, boolean admitted, String why) {
            changes.add(admitted ? "+" : "-");
          }
        };
    RoutingPolicy policy =
        RoutingPolicy.custom().maxReplicaLag(Duration.ofDays(1)).readmitAfterSamples(2).build();
    ReplicaState state = new ReplicaState("reader", policy, listener, false);
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    state.onSample("a", LsnPosition.of(500), t0, t0, t0, 0, 1_000);
    assertThat(state.isEligible(t0)).isTrue();
    assertThat(state.covers("a", LsnPosition.of(500))).isTrue();

    state.onSample("b", LsnPosition.of(300), t0, t0, t0, 0, 1_000);

    assertThat(resets).containsExactly(ReplicaReset.SERVER_CHANGED.name());
    assertThat(state.isEligible(t0)).as("excluded until re-sampled").isFalse();
    assertThat(state.covers("a", LsnPosition.of(1))).as("the old server is forgotten").isFalse();
    assertThat(state.covers("b", LsnPosition.of(301))).isFalse();
    assertThat(state.knownPosition()).isEqualTo(LsnPosition.of(300));
    state.onSample("b", LsnPosition.of(320), t0, t0, t0, 0, 1_000);
    assertThat(state.isEligible(t0)).as("re-admitted after readmitAfterSamples").isTrue();
    assertThat(changes).containsExactly("+", "-", "+");
  }

  /**
   * A server whose identity cannot tell a re-seeded instance apart (MariaDB's {@code server_id})
   * reports a position behind the one it reported: the router drops it, reports it, and the old
   * position is no longer trusted. For a load-balanced name only that server is dropped.
   */
  @Property(tries = 50)
  void aPositionGoingBackwardsOnTheSameServerIsDropped(@ForAll boolean loadBalanced) {
    List<String> resets = new ArrayList<>();
    RoutingListener listener =
        new RoutingListener() {
          @Override
          public void onReplicaReset(String replica, ReplicaReset reason, String detail) {
            resets.add(reason.name());
          }
        };
    RoutingPolicy policy =
        RoutingPolicy.custom().maxReplicaLag(Duration.ofDays(1)).readmitAfterSamples(2).build();
    ReplicaState state = new ReplicaState("reader", policy, listener, loadBalanced);
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    state.onSample("a", LsnPosition.of(900), t0, t0, t0, 0, 1_000);
    if (loadBalanced) {
      state.onSample("b", LsnPosition.of(950), t0, t0, t0, 0, 1_000);
    }
    assertThat(state.covers("a", LsnPosition.of(900))).isTrue();

    state.onSample("a", LsnPosition.of(400), t0, t0, t0, 0, 1_000);

    assertThat(resets).containsExactly(ReplicaReset.POSITION_WENT_BACKWARDS.name());
    assertThat(state.covers("a", LsnPosition.of(401))).isFalse();
    assertThat(state.covers("a", LsnPosition.of(400))).isTrue();
    if (loadBalanced) {
      assertThat(state.covers("b", LsnPosition.of(950))).as("other servers keep theirs").isTrue();
      assertThat(state.isEligible(t0)).isTrue();
    } else {
      assertThat(state.isEligible(t0)).as("excluded until re-admitted").isFalse();
    }
  }

  private static String id(int slot, int generation) {
    return "server-" + slot + "@" + generation;
  }
}
