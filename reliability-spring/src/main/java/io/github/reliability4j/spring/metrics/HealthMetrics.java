package io.github.reliability4j.spring.metrics;

import io.github.reliability4j.core.health.ComponentHealth;
import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Probe gauges computed from the checker's last snapshot (a scrape never runs a probe):
 *
 * <ul>
 *   <li>{@code reliability.health.probe.status} (gauge), tag {@code probe}: 0 pass, 1 warn, 2
 *       unknown, 3 fail (the severity order of {@link HealthStatus});
 *   <li>{@code reliability.health.probe.duration} (a timer since issue 20, no longer a gauge), tags
 *       {@code probe}, {@code status}: every evaluation's run time, recorded by {@code
 *       ReliabilityObservationAutoConfiguration} around each probe body;
 *   <li>{@code reliability.health.status}, tag {@code kind} (liveness, readiness, startup, deep):
 *       the aggregated report status, same encoding.
 * </ul>
 */
public final class HealthMetrics implements MeterBinder {

  public static final String PROBE_STATUS = "reliability.health.probe.status";
  public static final String PROBE_DURATION = "reliability.health.probe.duration";
  public static final String STATUS = "reliability.health.status";

  private final HealthChecker checker;

  public HealthMetrics(HealthChecker checker) {
    this.checker = checker;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    List<String> names = new ArrayList<>();
    checker.registrations().stream().map(ProbeRegistration::name).forEach(names::add);
    checker.groups().forEach(g -> names.add(g.name()));
    for (String name : names) {
      Gauge.builder(PROBE_STATUS, checker, c -> code(c, name))
          .tag("probe", name)
          .description("Probe status: 0 pass, 1 warn, 2 unknown, 3 fail")
          .register(registry);
    }
    for (ProbeKind kind : ProbeKind.values()) {
      Gauge.builder(STATUS, checker, c -> severity(c.report(kind).status()))
          .tag("kind", kind.name().toLowerCase(Locale.ROOT))
          .description("Report status: 0 pass, 1 warn, 2 unknown, 3 fail")
          .baseUnit("status")
          .register(registry);
    }
  }

  private static double code(HealthChecker c, String name) {
    ComponentHealth h = c.snapshot().component(name);
    return h == null ? severity(HealthStatus.UNKNOWN) : severity(h.status());
  }

  static double severity(HealthStatus s) {
    return switch (s) {
      case PASS -> 0;
      case WARN -> 1;
      case UNKNOWN -> 2;
      case FAIL -> 3;
    };
  }
}
