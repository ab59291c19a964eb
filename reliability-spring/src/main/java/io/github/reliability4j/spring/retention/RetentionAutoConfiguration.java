package io.github.reliability4j.spring.retention;

import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.health.ProbeWeight;
import io.github.reliability4j.jdbc.retention.RetentionBacklogProbe;
import io.github.reliability4j.jdbc.retention.RetentionListener;
import io.github.reliability4j.jdbc.retention.RetentionPolicy;
import io.github.reliability4j.jdbc.retention.RetentionRunner;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Retention of the application's own tables from {@code reliability.retention.policies[n].*}: one
 * {@link RetentionRunner} per policy on the application's {@code DataSource} (the replica-routing
 * one's lag view throttles it when routing is configured; the health checker's readiness pauses it
 * when present), a scheduler for the policies with {@code enabled=true}, a "retention backlog"
 * probe per policy (deep, informational), Micrometer meters, and the {@code retention} Actuator
 * endpoint. Every bean backs off when the application defines its own.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "io.github.reliability4j.spring.routing.RoutingAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"
    })
@ConditionalOnClass(RetentionRunner.class)
@ConditionalOnBean(DataSource.class)
@ConditionalOnProperty(
    prefix = "reliability.retention",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
@EnableConfigurationProperties(RetentionProperties.class)
public class RetentionAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  RetentionPolicies reliabilityRetentionPolicies(
      RetentionProperties properties,
      DataSource dataSource,
      ObjectProvider<RetentionListener> listeners,
      ObjectProvider<HealthChecker> checker) {
    Map<String, RetentionRunner> runners = new LinkedHashMap<>();
    List<String> scheduled = new ArrayList<>();
    ReplicaRoutingDataSource routing = routing(dataSource);
    for (int i = 0; i < properties.getPolicies().size(); i++) {
      RetentionProperties.Policy p = properties.getPolicies().get(i);
      RetentionPolicy policy;
      try {
        policy = p.toPolicy();
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw new IllegalStateException(
            "reliability.retention.policies[" + i + "]: " + e.getMessage(), e);
      }
      RetentionRunner.Builder b =
          RetentionRunner.builder(dataSource, policy).leaseTable(properties.getLeaseTable());
      if (routing != null) {
        b.lagView(routing.lagView());
      }
      // resolved at each batch, not now: the checker itself depends on the backlog probe
      b.readiness(
          () -> {
            HealthChecker health = checker.getIfUnique();
            return health == null ? HealthStatus.PASS : health.report(ProbeKind.READINESS).status();
          });
      listeners.orderedStream().forEach(b::listener);
      if (runners.putIfAbsent(policy.getName(), b.build()) != null) {
        throw new IllegalStateException(
            "reliability.retention.policies["
                + i
                + "]: a policy named '"
                + policy.getName()
                + "' is already configured; give each policy a unique name");
      }
      if (p.isEnabled()) {
        scheduled.add(policy.getName());
      }
    }
    return new RetentionPolicies(runners, scheduled);
  }

  @Bean
  @ConditionalOnMissingBean
  RetentionSchedulerLifecycle reliabilityRetentionScheduler(
      RetentionPolicies policies, RetentionProperties properties) {
    return new RetentionSchedulerLifecycle(policies, properties.getInterval());
  }

  /**
   * "retention-backlog": one deep, degrading probe over every configured policy, WARN when any
   * policy's oldest eligible row is older than its max age plus slack. Not a readiness probe: a
   * runner pauses while readiness is not PASS, so a backlog there would hold retention back.
   */
  @Bean
  @ConditionalOnMissingBean(name = "reliabilityRetentionBacklogProbe")
  @ConditionalOnProperty(prefix = "reliability.retention.policies[0]", name = "table")
  ProbeRegistration reliabilityRetentionBacklogProbe(RetentionPolicies policies) {
    return ProbeRegistration.builder("retention-backlog", ctx -> backlog(policies, ctx))
        .componentType("datastore")
        .kinds(ProbeKind.DEEP)
        .weight(ProbeWeight.DEGRADING)
        .interval(Duration.ofMinutes(1))
        .build();
  }

  static ProbeResult backlog(RetentionPolicies policies, ProbeContext ctx) throws Exception {
    Map<String, Object> details = new LinkedHashMap<>();
    List<String> behind = new ArrayList<>();
    for (RetentionRunner r : policies.getRunners().values()) {
      ProbeResult one = RetentionBacklogProbe.of(r).check(ctx);
      details.put(r.getPolicy().getName() + ".backlogSeconds", one.observedValue());
      if (one.status() != HealthStatus.PASS) {
        behind.add(one.output());
      }
    }
    ProbeResult.Builder result =
        ProbeResult.builder(behind.isEmpty() ? HealthStatus.PASS : HealthStatus.WARN);
    details.forEach(result::detail);
    if (!behind.isEmpty()) {
      result.output(String.join("; ", behind));
    }
    return result.build();
  }

  private static ReplicaRoutingDataSource routing(DataSource ds) {
    try {
      return ds.isWrapperFor(ReplicaRoutingDataSource.class)
          ? ds.unwrap(ReplicaRoutingDataSource.class)
          : null;
    } catch (SQLException e) {
      return null;
    }
  }

  /** Meters, when Micrometer is on the classpath and a registry is present. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterRegistry.class)
  @ConditionalOnBean(MeterRegistry.class)
  static class Metrics {
    @Bean
    @ConditionalOnMissingBean
    RetentionMetrics reliabilityRetentionMetrics(MeterRegistry registry) {
      return new RetentionMetrics(registry);
    }
  }

  /** The Actuator endpoint, when Actuator is on the classpath. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
  static class ActuatorEndpoint {
    @Bean
    @ConditionalOnMissingBean
    RetentionEndpoint reliabilityRetentionEndpoint(RetentionPolicies policies) {
      return new RetentionEndpoint(policies);
    }
  }
}
