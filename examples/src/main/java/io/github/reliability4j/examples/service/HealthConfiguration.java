package io.github.reliability4j.examples.service;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthCheckerConfig;
import io.github.reliability4j.core.health.HealthReport;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.health.ProbeWeight;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Truthful health for the service, evaluated in the background so no health request ever waits on a
 * database:
 *
 * <ul>
 *   <li>{@code jvm:deadlocks} — liveness and readiness; internal, so a database outage never fails
 *       liveness (and never restarts the pod).
 *   <li>{@code primary-pool:connections} — readiness: FAIL while every pooled connection is in use
 *       (the instance cannot serve), WARN above 80 %.
 *   <li>{@code primary-db:responseTime} — readiness: {@code SELECT 1} through the pool.
 *   <li>{@code replica-db:replicationLag} — readiness, degrading only: a lagging or dead replica
 *       makes the instance WARN (reads fall back to the primary), never FAIL.
 * </ul>
 *
 * Served as {@code application/health+json} by {@link HealthController} and, for Kubernetes-style
 * Actuator groups, by the two {@link HealthIndicator} beans below.
 */
@Configuration(proxyBeanMethods = false)
class HealthConfiguration {

  @Bean(destroyMethod = "close")
  HealthChecker healthChecker(DemoDatabase database, ReplicaRoutingDataSource routing) {
    HikariDataSource primary = database.primaryPool();
    HealthChecker checker =
        HealthChecker.builder()
            .name("demo")
            .config(
                HealthCheckerConfig.custom()
                    .interval(Duration.ofSeconds(2))
                    .failingInterval(Duration.ofMillis(500))
                    .deadline(Duration.ofSeconds(2))
                    .build())
            .probe(
                ProbeRegistration.builder("jvm", ctx -> deadlocks())
                    .measurement("deadlocks")
                    .componentType("system")
                    .internal()
                    .kinds(ProbeKind.LIVENESS, ProbeKind.READINESS)
                    .build())
            .probe(
                ProbeRegistration.builder("primary-pool", ctx -> poolSaturation(primary))
                    .measurement("connections")
                    .componentType("datastore")
                    .build())
            .probe(
                ProbeRegistration.builder("primary-db", ctx -> selectOne(primary, ctx))
                    .measurement("responseTime")
                    .componentType("datastore")
                    .build())
            .probe(
                ProbeRegistration.builder("replica-db", ctx -> replicaLag(routing))
                    .measurement("replicationLag")
                    .componentType("datastore")
                    .weight(ProbeWeight.DEGRADING)
                    .build())
            .build();
    checker.start();
    return checker;
  }

  private static ProbeResult deadlocks() {
    long[] ids = ManagementFactory.getThreadMXBean().findDeadlockedThreads();
    int count = ids == null ? 0 : ids.length;
    return ProbeResult.builder(count == 0 ? HealthStatus.PASS : HealthStatus.FAIL)
        .observed(count, "threads")
        .build();
  }

  static ProbeResult poolSaturation(HikariDataSource pool) {
    HikariPoolMXBean mx = pool.getHikariPoolMXBean();
    if (mx == null) {
      return ProbeResult.warn("pool not started");
    }
    int max = pool.getMaximumPoolSize();
    int active = mx.getActiveConnections();
    String state =
        String.format(
            "active=%d, idle=%d, max=%d, waiting=%d",
            active, mx.getIdleConnections(), max, mx.getThreadsAwaitingConnection());
    HealthStatus status;
    String output;
    if (active >= max) {
      status = HealthStatus.FAIL;
      output = "pool exhausted (" + state + ")";
    } else if (active * 10 >= max * 8) {
      status = HealthStatus.WARN;
      output = "pool nearly exhausted (" + state + ")";
    } else {
      status = HealthStatus.PASS;
      output = state;
    }
    return ProbeResult.builder(status).observed(active * 100 / max, "%").output(output).build();
  }

  private static ProbeResult selectOne(HikariDataSource pool, ProbeContext ctx) throws Exception {
    long start = System.nanoTime();
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      s.setQueryTimeout((int) Math.max(1, ctx.deadlineSeconds()));
      s.execute("SELECT 1");
    }
    long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
    return ProbeResult.builder(HealthStatus.PASS).observed(millis, "ms").build();
  }

  private static ProbeResult replicaLag(ReplicaRoutingDataSource routing) {
    if (routing.lagView().replicas().isEmpty()) {
      return ProbeResult.builder(HealthStatus.PASS).output("no replica configured").build();
    }
    HealthStatus worst = HealthStatus.PASS;
    StringBuilder output = new StringBuilder();
    long maxLagBytes = 0;
    for (ReplicaStatus replica : routing.lagView().replicas()) {
      HealthStatus status = HealthStatus.PASS;
      String text;
      if (replica.lastSample() == null || !replica.lastSample().isKnown()) {
        status = HealthStatus.WARN;
        text = replica.name() + " unreachable, reads go to the primary";
      } else if (!replica.admitted()) {
        status = HealthStatus.WARN;
        text = replica.name() + " excluded from reads (lag " + replica.lastSample().lag() + ")";
      } else {
        long bytes = Math.max(0, replica.lastSample().lagBytes());
        maxLagBytes = Math.max(maxLagBytes, bytes);
        text = replica.name() + " lag " + replica.lastSample().lag() + ", " + bytes + " bytes";
        if (replica.lastSample().lag().compareTo(Duration.ofSeconds(1)) > 0) {
          status = HealthStatus.WARN;
        }
      }
      worst = worst.worst(status);
      output.append(output.length() == 0 ? "" : "; ").append(text);
    }
    return ProbeResult.builder(worst)
        .observed(maxLagBytes, "bytes")
        .output(output.toString())
        .build();
  }

  @Bean
  HealthIndicator reliabilityLiveness(HealthChecker checker) {
    return () -> toActuator(checker.report(ProbeKind.LIVENESS));
  }

  @Bean
  HealthIndicator reliabilityReadiness(HealthChecker checker) {
    return () -> toActuator(checker.report(ProbeKind.READINESS));
  }

  /** PASS is UP, WARN is the custom status DEGRADED (HTTP 200), FAIL and UNKNOWN are DOWN. */
  static final Status DEGRADED = new Status("DEGRADED", "working with reduced capacity");

  private static Health toActuator(HealthReport report) {
    Health.Builder health =
        switch (report.status()) {
          case PASS -> Health.up();
          case WARN -> Health.status(DEGRADED);
          default -> Health.down();
        };
    report
        .components()
        .forEach(
            c ->
                health.withDetail(
                    c.name() + ":" + c.measurement(),
                    c.status().wireName()
                        + (c.result().output() == null ? "" : " - " + c.result().output())));
    return health.build();
  }
}
