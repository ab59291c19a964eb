package io.github.reliability4j.spring.metrics;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** Settings bound from {@code reliability.metrics.*}. */
@ConfigurationProperties(prefix = "reliability.metrics")
public class MetricsProperties {

  /** Whether reliability4j meters are registered with the application's MeterRegistry. */
  private boolean enabled = true;

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }
}
