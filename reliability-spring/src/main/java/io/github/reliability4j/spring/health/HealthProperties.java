package io.github.reliability4j.spring.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/** Truthful health probes, bound from {@code reliability.health.*}. */
@ConfigurationProperties(prefix = "reliability.health")
public class HealthProperties implements Validator {

  /** Whether the health checker runs. */
  private boolean enabled = true;

  /** How often each probe runs while passing. */
  private Duration interval = Duration.ofSeconds(10);

  /** How often a failing probe runs. */
  private Duration failingInterval = Duration.ofSeconds(2);

  /**
   * Per-probe deadline, counted from when the probe starts running (waiting for a free evaluator
   * thread is not part of it): a probe still running then counts as failed for this round.
   */
  private Duration deadline = Duration.ofSeconds(2);

  /** Consecutive failures before a probe reports fail. */
  private int failureThreshold = 1;

  /** Consecutive passes before a failed probe reports pass again. */
  private int recoveryThreshold = 2;

  /** Whether the DataSource (primary and each replica) gets a readiness probe automatically. */
  private boolean dataSourceProbes = true;

  /**
   * How long to keep serving after readiness turned to fail on shutdown, so load balancers stop
   * sending traffic before the server stops accepting it.
   */
  private Duration drainDelay = Duration.ZERO;

  /** The application/health+json endpoint ({@code /actuator/healthcheck}). */
  private final Endpoint endpoint = new Endpoint();

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

  @Override
  public boolean supports(Class<?> clazz) {
    return HealthProperties.class.isAssignableFrom(clazz);
  }

  @Override
  public void validate(Object target, Errors errors) {
    HealthProperties p = (HealthProperties) target;
    positive(errors, "interval", p.interval);
    positive(errors, "failingInterval", p.failingInterval);
    positive(errors, "deadline", p.deadline);
    if (p.failureThreshold < 1) {
      errors.rejectValue("failureThreshold", "range", "must be at least 1");
    }
    if (p.recoveryThreshold < 1) {
      errors.rejectValue("recoveryThreshold", "range", "must be at least 1");
    }
    if (p.drainDelay == null || p.drainDelay.isNegative()) {
      errors.rejectValue("drainDelay", "range", "must not be negative");
    }
    if (p.endpoint.cacheMaxAge == null || p.endpoint.cacheMaxAge.isNegative()) {
      errors.rejectValue("endpoint.cacheMaxAge", "range", "must not be negative");
    }
  }

  private static void positive(Errors errors, String field, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) {
      errors.rejectValue(field, "range", "must be positive");
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
}
