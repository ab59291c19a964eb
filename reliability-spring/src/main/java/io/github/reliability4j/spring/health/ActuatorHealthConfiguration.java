package io.github.reliability4j.spring.health;

import io.github.reliability4j.core.health.ComponentHealth;
import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthReport;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.annotation.Bean;

/**
 * Actuator view of the {@link HealthChecker}. Every indicator reads the checker's last snapshot —
 * none runs a probe — so the health endpoint never waits on a dependency.
 *
 * <ul>
 *   <li>{@code reliability} — a composite with one member per probe and group ({@code
 *       /actuator/health/reliability/db-primary});
 *   <li>{@code reliabilityLiveness}, {@code reliabilityReadiness}, {@code reliabilityStartup} — the
 *       checker's report per probe kind, added to Actuator's {@code liveness}, {@code readiness}
 *       and {@code startup} health groups (created if Actuator has none).
 * </ul>
 *
 * Status mapping: pass → UP, warn → UP (detail {@code status: warn}), fail → DOWN, unknown (never
 * evaluated, stale) → OUT_OF_SERVICE. Details (observed value, output, outcome) obey Actuator's
 * {@code management.endpoint.health.show-details}.
 */
public class ActuatorHealthConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "reliabilityHealthContributor")
  CompositeHealthContributor reliabilityHealthContributor(HealthChecker checker) {
    Map<String, HealthIndicator> members = new LinkedHashMap<>();
    for (ProbeRegistration r : checker.registrations()) {
      members.put(r.name(), () -> component(checker, r.name()));
    }
    checker.groups().forEach(g -> members.put(g.name(), () -> component(checker, g.name())));
    return CompositeHealthContributor.fromMap(members);
  }

  @Bean
  @ConditionalOnMissingBean(name = "reliabilityLivenessHealthIndicator")
  HealthIndicator reliabilityLivenessHealthIndicator(HealthChecker checker) {
    return () -> report(checker.report(ProbeKind.LIVENESS));
  }

  @Bean
  @ConditionalOnMissingBean(name = "reliabilityReadinessHealthIndicator")
  HealthIndicator reliabilityReadinessHealthIndicator(HealthChecker checker) {
    return () -> report(checker.report(ProbeKind.READINESS));
  }

  @Bean
  @ConditionalOnMissingBean(name = "reliabilityStartupHealthIndicator")
  HealthIndicator reliabilityStartupHealthIndicator(HealthChecker checker) {
    return () -> report(checker.report(ProbeKind.STARTUP));
  }

  @Bean
  @ConditionalOnMissingBean
  @org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint(
      HealthJsonEndpoint.class)
  HealthJsonEndpoint reliabilityHealthJsonEndpoint(
      HealthChecker checker, HealthProperties properties) {
    return new HealthJsonEndpoint(checker, properties);
  }

  @Bean
  static HealthEndpointGroupsPostProcessor reliabilityHealthGroupsPostProcessor() {
    return new ProbeKindHealthGroups();
  }

  static Status status(HealthStatus s) {
    return switch (s) {
      case PASS, WARN -> Status.UP;
      case FAIL -> Status.DOWN;
      case UNKNOWN -> Status.OUT_OF_SERVICE;
    };
  }

  static Health component(HealthChecker checker, String name) {
    ComponentHealth c = checker.snapshot().component(name);
    if (c == null) {
      return Health.unknown().build();
    }
    Health.Builder b =
        Health.status(status(c.status())).withDetail("status", c.status().wireName());
    b.withDetail("kinds", c.kinds()).withDetail("weight", c.weight());
    if (c.since() != null) {
      b.withDetail("since", c.since().toString());
    }
    ProbeResult r = c.result();
    if (r != null) {
      if (r.observedValue() != null) {
        b.withDetail("observedValue", r.observedValue());
        if (r.observedUnit() != null) {
          b.withDetail("observedUnit", r.observedUnit());
        }
      }
      if (r.output() != null && !r.output().isEmpty()) {
        b.withDetail("output", r.output());
      }
      if (r.outcome() != null) {
        b.withDetail("outcome", r.outcome());
      }
      if (r.time() != null) {
        b.withDetail("time", r.time().toString());
      }
    }
    if (!c.members().isEmpty()) {
      b.withDetail("members", c.members());
    }
    return b.build();
  }

  static Health report(HealthReport report) {
    Health.Builder b =
        Health.status(status(report.status()))
            .withDetail("status", report.status().wireName())
            .withDetail("lifecycle", report.lifecycle());
    if (report.output() != null && !report.output().isEmpty()) {
      b.withDetail("output", report.output());
    }
    Map<String, String> components = new LinkedHashMap<>();
    for (ComponentHealth c : report.components()) {
      components.put(c.name(), c.status().wireName());
    }
    b.withDetail("components", components);
    return b.build();
  }
}
