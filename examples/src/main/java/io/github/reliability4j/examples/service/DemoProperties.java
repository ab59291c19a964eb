package io.github.reliability4j.examples.service;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the demo service itself, under the prefix {@code demo}. Databases, routing,
 * idempotency and health are configured with the ordinary {@code spring.datasource.*} and {@code
 * reliability.*} properties (see {@code application.properties} and the README).
 */
@ConfigurationProperties("demo")
public class DemoProperties {

  /**
   * Whether to start an embedded PostgreSQL primary with one streaming replica when {@code
   * spring.datasource.url} is not set. Read by {@link EmbeddedPostgres} before the context starts.
   */
  private boolean embedded = true;

  /** Simulated card-network latency of one charge; makes concurrent retries overlap. */
  private Duration paymentProcessingTime = Duration.ofMillis(200);

  public boolean isEmbedded() {
    return embedded;
  }

  public void setEmbedded(boolean embedded) {
    this.embedded = embedded;
  }

  public Duration getPaymentProcessingTime() {
    return paymentProcessingTime;
  }

  public void setPaymentProcessingTime(Duration paymentProcessingTime) {
    this.paymentProcessingTime = paymentProcessingTime;
  }
}
