package io.github.reliability4j.spring.health;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.jdbc.health.ConnectionFactory;
import io.github.reliability4j.jdbc.health.HikariPoolProbe;
import io.github.reliability4j.jdbc.health.JdbcConnectivityProbe;
import io.github.reliability4j.spring.internal.PropertyChecks;
import java.util.List;
import java.util.Properties;
import javax.sql.DataSource;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.util.ClassUtils;
import org.springframework.validation.Errors;

/** HikariCP-specific probes; only loaded when HikariCP is on the class path. */
final class HikariProbes {

  private HikariProbes() {}

  /**
   * A connectivity probe over a dedicated connection (never the pool's) when {@code ds} is a Hikari
   * pool with a JDBC URL, else {@code null}.
   */
  static Probe connectivity(DataSource ds, List<AutoCloseable> closeables) {
    if (!(ds instanceof HikariDataSource h) || h.getJdbcUrl() == null) {
      return null;
    }
    Properties props = new Properties();
    if (h.getDataSourceProperties() != null) {
      props.putAll(h.getDataSourceProperties());
    }
    if (h.getUsername() != null) {
      props.setProperty("user", h.getUsername());
    }
    if (h.getPassword() != null) {
      props.setProperty("password", h.getPassword());
    }
    JdbcConnectivityProbe probe =
        JdbcConnectivityProbe.of(ConnectionFactory.ofDriver(h.getJdbcUrl(), props));
    closeables.add(probe);
    return probe;
  }

  /**
   * Pool saturation from the pool's own statistics, or {@code null} for non-Hikari pools. With
   * Micrometer, acquire timeouts are read from HikariCP's {@code hikaricp.connections.timeout}
   * counter, which Spring Boot binds to the MeterRegistry.
   */
  static Probe pool(DataSource ds, HealthProperties.Pool settings, BeanFactory beans) {
    if (!(ds instanceof HikariDataSource h)) {
      return null;
    }
    HikariPoolProbe.Builder probe =
        HikariPoolProbe.builder(h)
            .warnUtilization(settings.getWarnUtilization())
            .warnThreadsAwaiting(settings.getWarnThreadsAwaiting())
            .failWaitingFor(settings.getFailWaitingFor())
            .failAcquireTimeouts(settings.getFailAcquireTimeouts())
            .acquireTimeoutWindow(settings.getAcquireTimeoutWindow());
    if (MICROMETER && beans != null) {
      probe.acquireTimeouts(HikariTimeoutCounter.of(h, beans));
    }
    return probe.build();
  }

  /**
   * Validates the {@code reliability.health.pool.*} thresholds by handing each to {@link
   * HikariPoolProbe}'s builder, over a pool that is never started: the builder's rules and messages
   * are the properties' (one rule per setting).
   */
  static void validate(Errors errors, HealthProperties.Pool p) {
    try (HikariDataSource unstarted = new HikariDataSource()) {
      HikariPoolProbe.Builder probe = HikariPoolProbe.builder(unstarted);
      PropertyChecks.check(
          errors, "pool.warnUtilization", () -> probe.warnUtilization(p.getWarnUtilization()));
      PropertyChecks.check(
          errors,
          "pool.warnThreadsAwaiting",
          () -> probe.warnThreadsAwaiting(p.getWarnThreadsAwaiting()));
      PropertyChecks.check(
          errors, "pool.failWaitingFor", () -> probe.failWaitingFor(p.getFailWaitingFor()));
      PropertyChecks.check(
          errors,
          "pool.failAcquireTimeouts",
          () -> probe.failAcquireTimeouts(p.getFailAcquireTimeouts()));
      PropertyChecks.check(
          errors,
          "pool.acquireTimeoutWindow",
          () -> probe.acquireTimeoutWindow(p.getAcquireTimeoutWindow()));
    }
  }

  private static final boolean MICROMETER =
      ClassUtils.isPresent(
          "io.micrometer.core.instrument.MeterRegistry", HikariProbes.class.getClassLoader());
}
