package io.github.reliability4j.spring.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.routing.ReplicaReset;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class RoutingMetricsResetTest {

  @Test
  void replicaResetsAreCountedPerReplicaAndReason() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RoutingMetrics metrics = new RoutingMetrics(registry);

    metrics.onReplicaReset("reader", ReplicaReset.SERVER_CHANGED, "a -> b");
    metrics.onReplicaReset("reader", ReplicaReset.SERVER_CHANGED, "b -> a");
    metrics.onReplicaReset("reader", ReplicaReset.POSITION_WENT_BACKWARDS, "0/2 after 0/3");

    assertThat(
            registry
                .get(RoutingMetrics.REPLICA_RESETS)
                .tag("replica", "reader")
                .tag("reason", "server_changed")
                .counter()
                .count())
        .isEqualTo(2.0);
    assertThat(
            registry
                .get(RoutingMetrics.REPLICA_RESETS)
                .tag("reason", "position_went_backwards")
                .counter()
                .count())
        .isEqualTo(1.0);
  }
}
