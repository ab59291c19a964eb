package io.github.reliability4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The evaluator's hysteresis against a declarative model: the reported status changes to the latest
 * result only when the results since the last change end in a run of at least failureThreshold
 * results worse than it (or recoveryThreshold results better than it).
 */
class HysteresisProperties {

  @Property(tries = 300)
  void reportedStatusFollowsTheThresholdModel(
      @ForAll @Size(min = 1, max = 40) List<HealthStatus> results,
      @ForAll @IntRange(min = 1, max = 4) int failureThreshold,
      @ForAll @IntRange(min = 1, max = 4) int recoveryThreshold) {
    ScriptedProbe probe = new ScriptedProbe();
    List<HealthTransitionEvent> events = new ArrayList<>();
    FakeClock clock = new FakeClock();
    try (HealthChecker checker =
        HealthChecker.builder()
            .config(
                HealthCheckerConfig.custom()
                    .failureThreshold(failureThreshold)
                    .recoveryThreshold(recoveryThreshold)
                    .jitter(0)
                    .build())
            .clock(clock)
            .scheduler(new FakeScheduler(clock))
            .executor(Runnable::run)
            .listener(
                new HealthListener() {
                  @Override
                  public void onTransition(HealthTransitionEvent event) {
                    events.add(event);
                  }
                })
            .probe(ProbeRegistration.builder("p", probe).build())
            .build()) {
      HealthStatus modelStatus = null;
      int lastChange = -1;
      int modelTransitions = 0;
      for (int i = 0; i < results.size(); i++) {
        probe.set(results.get(i));
        checker.evaluateNow().join();

        if (modelStatus == null) {
          modelStatus = results.get(i);
          lastChange = i;
          if (modelStatus != HealthStatus.UNKNOWN) {
            modelTransitions++; // UNKNOWN (pending) -> first result
          }
        } else {
          int worse = 0;
          for (int j = i; j > lastChange && results.get(j).isWorseThan(modelStatus); j--) {
            worse++;
          }
          int better = 0;
          for (int j = i; j > lastChange && modelStatus.isWorseThan(results.get(j)); j--) {
            better++;
          }
          if (worse >= failureThreshold || better >= recoveryThreshold) {
            modelStatus = results.get(i);
            lastChange = i;
            modelTransitions++;
          }
        }
        ComponentHealth p = checker.snapshot().component("p");
        assertThat(p.status()).as("after result %d of %s", i, results).isEqualTo(modelStatus);
        assertThat(p.result().status()).isEqualTo(results.get(i));
      }
      long changes = events.stream().filter(e -> e.from() != e.to()).count();
      assertThat(events).hasSize(modelTransitions);
      assertThat(changes).isEqualTo(modelTransitions);
      for (int k = 1; k < events.size(); k++) {
        assertThat(events.get(k).from()).isEqualTo(events.get(k - 1).to());
      }
    }
  }
}
