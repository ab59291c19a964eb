package io.github.reliability4j.test.health;

import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.probes.LatencyObjectiveProbe;
import io.github.reliability4j.core.health.probes.LatencyRecorder;
import java.time.Duration;

/** {@link LatencyObjectiveProbe} over a real recorder fed latencies above its fail threshold. */
class LatencyObjectiveProbeContractTest extends AbstractProbeContract {

  private LatencyRecorder recorder = LatencyRecorder.ofWindow(Duration.ofMinutes(5));
  private Probe probe;

  @Override
  protected Probe probe() {
    probe =
        LatencyObjectiveProbe.builder(recorder, Duration.ofMillis(100))
            .failAbove(Duration.ofSeconds(1))
            .build();
    return probe;
  }

  @Override
  protected void makeHealthy() {
    for (int i = 0; i < 200; i++) {
      recorder.record(Duration.ofMillis(5));
    }
  }

  @Override
  protected String makeFailing() {
    for (int i = 0; i < 2_000; i++) {
      recorder.record(Duration.ofSeconds(3));
    }
    return "≥ failAbove PT1S";
  }
}
