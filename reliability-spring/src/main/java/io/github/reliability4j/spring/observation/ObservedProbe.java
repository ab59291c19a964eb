package io.github.reliability4j.spring.observation;

import static io.github.reliability4j.spring.observation.ReliabilityObservations.*;

import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.spring.metrics.HealthMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.Locale;

/**
 * A probe body inside an observation ({@value ReliabilityObservations#PROBE}) and, with a {@link
 * MeterRegistry}, the {@value HealthMetrics#PROBE_DURATION} timer. Runs on the health checker's
 * thread, inside its deadline; an exception of the body is recorded and rethrown unchanged (the
 * checker turns it into a failing result).
 */
final class ObservedProbe implements Probe {

  private final String name;
  private final Probe probe;
  private final ObservationRegistry observations;
  private final MeterRegistry meters;

  ObservedProbe(String name, Probe probe, ObservationRegistry observations, MeterRegistry meters) {
    this.name = name;
    this.probe = probe;
    this.observations = observations;
    this.meters = meters;
  }

  @Override
  public ProbeResult check(ProbeContext context) throws Exception {
    Observation o =
        Observation.createNotStarted(PROBE, observations)
            .contextualName("probe " + name)
            .lowCardinalityKeyValue(PROBE_NAME, name)
            .start();
    Timer.Sample sample = meters == null ? null : Timer.start(meters);
    String status = "fail";
    try (Observation.Scope scope = o.openScope()) {
      ProbeResult r = probe.check(context);
      if (r != null) {
        status = r.status().name().toLowerCase(Locale.ROOT);
        if (r.output() != null) {
          o.highCardinalityKeyValue(PROBE_OUTPUT, r.output());
        }
      }
      return r;
    } catch (Exception | Error e) {
      o.error(e);
      throw e;
    } finally {
      o.lowCardinalityKeyValue(STATUS, status);
      o.stop();
      if (sample != null) {
        sample.stop(
            Timer.builder(HealthMetrics.PROBE_DURATION)
                .description("Run time of each probe evaluation (the probe's own body)")
                .tag("probe", name)
                .tag("status", status)
                .register(meters));
      }
    }
  }

  @Override
  public String toString() {
    return probe.toString();
  }
}
