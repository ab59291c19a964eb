package io.github.reliability4j.jdbc.retention;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Health probe "retention backlog": {@code WARN} when the oldest eligible row of a policy is older
 * than {@code maxAge + backlogSlack}, i.e. retention has fallen behind (runs failing, throttled for
 * too long, or not scheduled); {@code PASS} otherwise. The observed value is the backlog in seconds
 * (how far the oldest eligible row is past {@code maxAge}, 0 when none is eligible). One indexed
 * {@code min()} query per evaluation; a database failure makes the probe {@code FAIL} (thrown).
 * Register it as a non-critical (liveness-neutral) probe: falling behind is not a reason to
 * restart.
 */
public final class RetentionBacklogProbe implements Probe {

  private final RetentionRunner runner;

  private RetentionBacklogProbe(RetentionRunner runner) {
    this.runner = runner;
  }

  public static RetentionBacklogProbe of(RetentionRunner runner) {
    return new RetentionBacklogProbe(Objects.requireNonNull(runner, "runner"));
  }

  @Override
  public ProbeResult check(ProbeContext context) throws Exception {
    RetentionPolicy p = runner.getPolicy();
    Optional<Duration> oldest = runner.oldestEligibleAge();
    Duration backlog = oldest.map(o -> o.minus(p.getMaxAge())).orElse(Duration.ZERO);
    if (backlog.isNegative()) {
      backlog = Duration.ZERO;
    }
    boolean behind = backlog.compareTo(p.getBacklogSlack()) > 0;
    ProbeResult.Builder b =
        ProbeResult.builder(behind ? HealthStatus.WARN : HealthStatus.PASS)
            .observed(backlog.toSeconds(), "s")
            .detail("policy", p.getName())
            .detail("table", p.getTable());
    if (behind) {
      b.output(
          "retention of "
              + p.getTable()
              + " is behind: the oldest eligible row is "
              + oldest.get()
              + " old, more than maxAge "
              + p.getMaxAge()
              + " + slack "
              + p.getBacklogSlack());
    }
    return b.build();
  }
}
