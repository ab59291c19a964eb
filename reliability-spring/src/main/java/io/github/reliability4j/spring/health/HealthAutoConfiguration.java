package io.github.reliability4j.spring.health;

import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthCheckerConfig;
import io.github.reliability4j.core.health.HealthListener;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeGroup;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeWeight;
import io.github.reliability4j.jdbc.health.ReplicaAvailabilityProbe;
import io.github.reliability4j.spring.internal.ReliabilityDecorators;
import io.github.reliability4j.spring.routing.RoutedDataSource;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

/**
 * Truthful health: one background {@link HealthChecker} running every {@link ProbeRegistration} and
 * {@link ProbeGroup} bean plus, by default, a readiness probe per DataSource node ({@code
 * db-primary} critical, {@code db-<replica>} and {@code db-replicas} (availability from the
 * router's lag monitor) degrading: a lost replica warns but does not make the instance unready; a
 * plain DataSource is probed as {@code db}). Started with the context and drained first on shutdown
 * ({@link HealthCheckerLifecycle}). With Actuator on the class path, see {@link
 * ActuatorHealthConfiguration}. Disabled by {@code reliability.health.enabled=false}.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "io.github.reliability4j.spring.routing.RoutingAutoConfiguration"
    })
@ConditionalOnProperty(
    prefix = "reliability.health",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
@EnableConfigurationProperties(HealthProperties.class)
public class HealthAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  HealthChecker reliabilityHealthChecker(
      HealthProperties properties,
      ObjectProvider<ProbeRegistration> probes,
      ObjectProvider<ProbeGroup> groups,
      ObjectProvider<HealthListener> listeners,
      ObjectProvider<HealthCheckerCustomizer> customizers,
      ObjectProvider<ReliabilityDecorators.ProbeDecorator> decorators,
      ObjectProvider<DataSource> dataSources,
      HealthProbeResources resources,
      BeanFactory beans) {
    HealthChecker.Builder builder =
        HealthChecker.builder()
            .name("reliability")
            .config(
                HealthCheckerConfig.custom()
                    .interval(properties.getInterval())
                    .failingInterval(properties.getFailingInterval())
                    .deadline(properties.getDeadline())
                    .failureThreshold(properties.getFailureThreshold())
                    .recoveryThreshold(properties.getRecoveryThreshold())
                    .build());
    if (properties.isDataSourceProbes()) {
      DataSource ds = dataSources.getIfUnique();
      if (ds instanceof RoutedDataSource routed) {
        dataSourceProbes(
            builder,
            "db-primary",
            routed.getPrimary(),
            ProbeWeight.CRITICAL,
            resources,
            properties,
            beans);
        builder.probe(
            ProbeRegistration.builder(
                    "db-replicas",
                    ReplicaAvailabilityProbe.builder(routed.getRouting().lagView())
                        .expectedReplicas(routed.getReplicas().keySet().toArray(String[]::new))
                        .build())
                .componentType("datastore")
                .measurement("availability")
                .kinds(ProbeKind.READINESS, ProbeKind.DEEP)
                .weight(ProbeWeight.DEGRADING)
                .internal()
                .build());
        for (Map.Entry<String, DataSource> r : routed.getReplicas().entrySet()) {
          dataSourceProbes(
              builder,
              "db-" + r.getKey(),
              r.getValue(),
              ProbeWeight.DEGRADING,
              resources,
              properties,
              beans);
        }
      } else if (ds != null) {
        dataSourceProbes(builder, "db", ds, ProbeWeight.CRITICAL, resources, properties, beans);
      }
    }
    probes.orderedStream().forEach(builder::probe);
    groups.orderedStream().forEach(builder::group);
    listeners.orderedStream().forEach(builder::listener);
    customizers.orderedStream().forEach(c -> c.customize(builder));
    decorators.orderedStream().forEach(d -> builder.decorateProbes(d::decorate));
    return builder.build();
  }

  private static final boolean HIKARI =
      ClassUtils.isPresent(
          "com.zaxxer.hikari.HikariDataSource", HealthAutoConfiguration.class.getClassLoader());

  /**
   * Connectivity over a dedicated connection when the pool is HikariCP, plus a pool probe {@code
   * <name>-pool}; otherwise a probe that borrows from the DataSource within the deadline.
   *
   * <p>The two answer different questions on purpose. Connectivity asks "is the database
   * reachable?" over its own connection, so it passes while the pool is exhausted: an exhausted
   * pool must not read as a dead database, and a probe borrowing from the pool would queue behind
   * the requests and time out. Whether this instance can serve is the pool probe's answer: it warns
   * while the pool is busy and fails (readiness 503, with the default critical weight, {@code
   * reliability.health.pool.weight}) when requests time out waiting for a connection or threads
   * keep waiting. The pool probe of a replica never counts more than the replica itself.
   */
  private static void dataSourceProbes(
      HealthChecker.Builder builder,
      String name,
      DataSource ds,
      ProbeWeight weight,
      HealthProbeResources resources,
      HealthProperties properties,
      BeanFactory beans) {
    Probe connectivity = HIKARI ? HikariProbes.connectivity(ds, resources.closeables) : null;
    builder.probe(
        ProbeRegistration.builder(
                name, connectivity == null ? new DataSourceProbe(ds) : connectivity)
            .componentType("datastore")
            .measurement("responseTime")
            .kinds(ProbeKind.READINESS, ProbeKind.DEEP)
            .weight(weight)
            .build());
    Probe pool = HIKARI ? HikariProbes.pool(ds, properties.getPool(), beans) : null;
    if (pool != null) {
      builder.probe(
          ProbeRegistration.builder(name + "-pool", pool)
              .componentType("component")
              .measurement("utilization")
              .kinds(ProbeKind.READINESS, ProbeKind.DEEP)
              .weight(weaker(properties.getPool().getWeight(), weight))
              .internal()
              .build());
    }
  }

  private static ProbeWeight weaker(ProbeWeight a, ProbeWeight b) {
    return a.ordinal() >= b.ordinal() ? a : b;
  }

  @Bean
  HealthProbeResources reliabilityHealthProbeResources() {
    return new HealthProbeResources();
  }

  /** Closes the dedicated probe connections when the context closes. */
  static final class HealthProbeResources
      implements org.springframework.beans.factory.DisposableBean {
    final java.util.List<AutoCloseable> closeables =
        new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void destroy() {
      for (AutoCloseable c : closeables) {
        try {
          c.close();
        } catch (Exception ignored) {
          // closing a probe connection at shutdown; nothing to recover
        }
      }
    }
  }

  @Bean
  @ConditionalOnMissingBean
  HealthCheckerLifecycle reliabilityHealthCheckerLifecycle(
      HealthChecker checker, HealthProperties properties) {
    return new HealthCheckerLifecycle(checker, properties.getDrainDelay());
  }

  /** Actuator integration; see {@link ActuatorHealthConfiguration}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "org.springframework.boot.health.contributor.HealthIndicator",
        "org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor"
      })
  static class Actuator extends ActuatorHealthConfiguration {}
}
