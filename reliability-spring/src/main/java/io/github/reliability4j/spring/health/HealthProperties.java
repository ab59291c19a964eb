package io.github.reliability4j.spring.health;

import io.github.reliability4j.core.health.HealthCheckerConfig;
import io.github.reliability4j.core.health.ProbeWeight;
import io.github.reliability4j.spring.internal.PropertyChecks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/** Truthful health probes, bound from {@code reliability.health.*}. */
@ConfigurationProperties(prefix = "reliability.health")
public class HealthProperties implements Validator {

  /** The core checker's defaults, which the probe schedule properties start from. */
  private static final HealthCheckerConfig CORE_DEFAULTS = HealthCheckerConfig.ofDefaults();

  private static final boolean HIKARI =
      org.springframework.util.ClassUtils.isPresent(
          "com.zaxxer.hikari.HikariDataSource", HealthProperties.class.getClassLoader());

  /** Whether the health checker runs. */
  private boolean enabled = true;

  /** How often each probe runs while passing. */
  private Duration interval = CORE_DEFAULTS.interval();

  /** How often a failing probe runs. */
  private Duration failingInterval = CORE_DEFAULTS.failingInterval();

  /**
   * Per-probe deadline, counted from when the probe starts running (waiting for a free evaluator
   * thread is not part of it): a probe still running then counts as failed for this round.
   */
  private Duration deadline = CORE_DEFAULTS.deadline();

  /** Consecutive failures before a probe reports fail. */
  private int failureThreshold = CORE_DEFAULTS.failureThreshold();

  /** Consecutive passes before a failed probe reports pass again. */
  private int recoveryThreshold = CORE_DEFAULTS.recoveryThreshold();

  /** Whether the DataSource (primary and each replica) gets a readiness probe automatically. */
  private boolean dataSourceProbes = true;

  /**
   * How long to keep serving after readiness turned to fail on shutdown, so load balancers stop
   * sending traffic before the server stops accepting it.
   */
  private Duration drainDelay = Duration.ZERO;

  /** The application/health+json endpoint ({@code /actuator/healthcheck}). */
  private final Endpoint endpoint = new Endpoint();

  /** The HikariCP pool probes ({@code db-pool}, {@code db-primary-pool}, ...). */
  private final Pool pool = new Pool();

  /** When details are shown, as in Actuator. */
  public enum ShowDetails {
    NEVER,
    WHEN_AUTHORIZED,
    ALWAYS
  }

  /** Settings of the health+json endpoint. */
  public static class Endpoint {
    /** When probe details (components, outputs, observed values) are shown. */
    private ShowDetails showDetails = ShowDetails.WHEN_AUTHORIZED;

    /** Roles that may see details under when-authorized; empty means any authenticated user. */
    private List<String> roles = new ArrayList<>();

    /**
     * Freshness lifetime of passing (HTTP 200) responses, sent as "Cache-Control: max-age=N,
     * must-revalidate" in whole seconds rounded down. Zero, or less than a second, sends
     * "Cache-Control: no-store" instead. Failing (503) responses always send "no-store".
     */
    private Duration cacheMaxAge = Duration.ofSeconds(1);

    /** Value of serviceId in the response, optional. */
    private String serviceId;

    public ShowDetails getShowDetails() {
      return showDetails;
    }

    public void setShowDetails(ShowDetails showDetails) {
      this.showDetails = showDetails;
    }

    public List<String> getRoles() {
      return roles;
    }

    public void setRoles(List<String> roles) {
      this.roles = roles;
    }

    public Duration getCacheMaxAge() {
      return cacheMaxAge;
    }

    public void setCacheMaxAge(Duration cacheMaxAge) {
      this.cacheMaxAge = cacheMaxAge;
    }

    public String getServiceId() {
      return serviceId;
    }

    public void setServiceId(String serviceId) {
      this.serviceId = serviceId;
    }
  }

  /**
   * Settings of the HikariCP pool probes. A pool that is merely busy warns; one that cannot serve
   * (requests timed out waiting for a connection, or threads kept waiting) fails, and with the
   * default critical weight that makes readiness answer 503. The thresholds are validated by the
   * pool probe's builder ({@code HikariPoolProbe}), so they accept exactly what it accepts.
   */
  public static class Pool {
    /**
     * How much a pool probe counts in readiness: critical (a failing pool makes the instance
     * unready, 503), degrading (at most warn, 200) or informational.
     */
    private ProbeWeight weight = ProbeWeight.CRITICAL;

    /** Utilisation (active / maximum pool size, in (0, 1]) from which the probe warns. */
    private double warnUtilization = 0.9;

    /** Threads waiting for a connection from which the probe warns. */
    private int warnThreadsAwaiting = 1;

    /**
     * How long threads may keep waiting for a connection of a fully used pool (seen waiting at
     * every check) before the probe fails.
     */
    private Duration failWaitingFor = Duration.ofSeconds(5);

    /**
     * Connection requests that timed out within acquire-timeout-window from which the probe fails.
     * Needs HikariCP's Micrometer metrics (a MeterRegistry bean); without them this rule is off.
     */
    private int failAcquireTimeouts = 1;

    /** How long a connection-acquire timeout keeps the pool probe failing. */
    private Duration acquireTimeoutWindow = Duration.ofSeconds(10);

    public ProbeWeight getWeight() {
      return weight;
    }

    public void setWeight(ProbeWeight weight) {
      this.weight = weight;
    }

    public double getWarnUtilization() {
      return warnUtilization;
    }

    public void setWarnUtilization(double warnUtilization) {
      this.warnUtilization = warnUtilization;
    }

    public int getWarnThreadsAwaiting() {
      return warnThreadsAwaiting;
    }

    public void setWarnThreadsAwaiting(int warnThreadsAwaiting) {
      this.warnThreadsAwaiting = warnThreadsAwaiting;
    }

    public Duration getFailWaitingFor() {
      return failWaitingFor;
    }

    public void setFailWaitingFor(Duration failWaitingFor) {
      this.failWaitingFor = failWaitingFor;
    }

    public int getFailAcquireTimeouts() {
      return failAcquireTimeouts;
    }

    public void setFailAcquireTimeouts(int failAcquireTimeouts) {
      this.failAcquireTimeouts = failAcquireTimeouts;
    }

    public Duration getAcquireTimeoutWindow() {
      return acquireTimeoutWindow;
    }

    public void setAcquireTimeoutWindow(Duration acquireTimeoutWindow) {
      this.acquireTimeoutWindow = acquireTimeoutWindow;
    }
  }

  @Override
  public boolean supports(Class<?> clazz) {
    return HealthProperties.class.isAssignableFrom(clazz);
  }

  @Override
  public void validate(Object target, Errors errors) {
    HealthProperties p = (HealthProperties) target;
    // Owned by the core checker's config: the same rules and messages as HealthCheckerConfig.
    HealthCheckerConfig.Builder core = HealthCheckerConfig.custom();
    PropertyChecks.check(errors, "interval", () -> core.interval(p.interval));
    PropertyChecks.check(errors, "failingInterval", () -> core.failingInterval(p.failingInterval));
    PropertyChecks.check(errors, "deadline", () -> core.deadline(p.deadline));
    PropertyChecks.check(
        errors, "failureThreshold", () -> core.failureThreshold(p.failureThreshold));
    PropertyChecks.check(
        errors, "recoveryThreshold", () -> core.recoveryThreshold(p.recoveryThreshold));
    if (p.drainDelay == null || p.drainDelay.isNegative()) {
      errors.rejectValue("drainDelay", "range", "must not be negative");
    }
    if (p.pool.weight == null) {
      errors.rejectValue("pool.weight", "range", "must be set");
    }
    // Owned by the pool probe's builder (HikariPoolProbe): its rules and messages. Without HikariCP
    // there is no pool probe, and the settings are unused.
    if (HIKARI) {
      HikariProbes.validate(errors, p.pool);
    }
    if (p.endpoint.cacheMaxAge == null || p.endpoint.cacheMaxAge.isNegative()) {
      errors.rejectValue("endpoint.cacheMaxAge", "range", "must not be negative");
    }
  }

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public Duration getInterval() {
    return interval;
  }

  public void setInterval(Duration interval) {
    this.interval = interval;
  }

  public Duration getFailingInterval() {
    return failingInterval;
  }

  public void setFailingInterval(Duration failingInterval) {
    this.failingInterval = failingInterval;
  }

  public Duration getDeadline() {
    return deadline;
  }

  public void setDeadline(Duration deadline) {
    this.deadline = deadline;
  }

  public int getFailureThreshold() {
    return failureThreshold;
  }

  public void setFailureThreshold(int failureThreshold) {
    this.failureThreshold = failureThreshold;
  }

  public int getRecoveryThreshold() {
    return recoveryThreshold;
  }

  public void setRecoveryThreshold(int recoveryThreshold) {
    this.recoveryThreshold = recoveryThreshold;
  }

  public boolean isDataSourceProbes() {
    return dataSourceProbes;
  }

  public void setDataSourceProbes(boolean dataSourceProbes) {
    this.dataSourceProbes = dataSourceProbes;
  }

  public Duration getDrainDelay() {
    return drainDelay;
  }

  public void setDrainDelay(Duration drainDelay) {
    this.drainDelay = drainDelay;
  }

  public Endpoint getEndpoint() {
    return endpoint;
  }

  public Pool getPool() {
    return pool;
  }
}
