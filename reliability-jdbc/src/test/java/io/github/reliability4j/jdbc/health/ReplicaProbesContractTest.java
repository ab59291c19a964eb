package io.github.reliability4j.jdbc.health;

import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.routing.ReplicaLagView;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.test.health.AbstractProbeContract;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Nested;

/**
 * {@link ReplicaLagProbe} and {@link ReplicaAvailabilityProbe} over a lag view whose one replica is
 * made unavailable to fail (both read the lag monitor's last samples and never block).
 */
class ReplicaProbesContractTest {

  static final String DOWN = "replica down (contract)";

  /** The lag monitor's output as the probes see it. */
  abstract static class OverOneReplica extends AbstractProbeContract {
    volatile List<ReplicaStatus> samples = List.of();

    final ReplicaLagView source = LagViews.of(() -> samples);

    @Override
    protected void makeHealthy() {
      samples = List.of(LagViews.available("r1", Duration.ofMillis(20), 100, Instant.now()));
    }

    @Override
    protected String makeFailing() {
      samples = List.of(LagViews.unavailable("r1", Instant.now(), DOWN));
      return DOWN;
    }
  }

  @Nested
  class LagProbeContractTest extends OverOneReplica {
    @Override
    protected Probe probe() {
      return ReplicaLagProbe.builder(source).build();
    }
  }

  @Nested
  class AvailabilityProbeContractTest extends OverOneReplica {
    @Override
    protected Probe probe() {
      return ReplicaAvailabilityProbe.builder(source).build();
    }

    @Override
    protected String makeFailing() {
      super.makeFailing();
      return "unavailable: [r1]";
    }
  }
}
