package io.github.reliability4j.examples.service;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the demo service, under the prefix {@code demo}.
 *
 * <p>With no settings the service starts an embedded PostgreSQL primary and one streaming replica.
 * Setting {@code demo.primary.url} (or {@code demo.embedded=false}) uses your own servers instead:
 *
 * <pre>
 * demo.primary.url=jdbc:postgresql://db-primary:5432/app
 * demo.primary.username=app
 * demo.primary.password=secret
 * demo.replica.url=jdbc:postgresql://db-replica:5432/app   (optional; none = primary only)
 * demo.token-key=at-least-16-bytes-shared-by-all-instances
 * </pre>
 */
@ConfigurationProperties("demo")
public class DemoProperties {

  /** Whether to start embedded PostgreSQL when no {@code demo.primary.url} is given. */
  private boolean embedded = true;

  /** The read-write server. */
  private final Node primary = new Node();

  /** The streaming replica (hot standby) of the primary; optional for an external database. */
  private final Node replica = new Node();

  /** Maximum connections of each pool (primary and replica). */
  private int poolSize = 10;

  /**
   * How long a request waits for a pooled connection before failing. Kept short so an exhausted
   * pool answers 503 quickly instead of queueing requests.
   */
  private Duration connectionTimeout = Duration.ofSeconds(1);

  /** Simulated card-network latency of one charge; makes concurrent retries overlap. */
  private Duration paymentProcessingTime = Duration.ofMillis(200);

  /**
   * HMAC key of consistency tokens (at least 16 bytes); every instance behind a load balancer needs
   * the same one. Empty: a random key, so tokens are valid in this instance only.
   */
  private String tokenKey = "";

  /**
   * A replica whose replay is older than this stops receiving reads. Generous by default so that a
   * replica paused by hand ({@code POST /trouble/replica-lag/on}) keeps serving stale reads while
   * you explore.
   */
  private Duration maxReplicaLag = Duration.ofSeconds(60);

  public boolean isEmbedded() {
    return embedded;
  }

  public void setEmbedded(boolean embedded) {
    this.embedded = embedded;
  }

  public Node getPrimary() {
    return primary;
  }

  public Node getReplica() {
    return replica;
  }

  public int getPoolSize() {
    return poolSize;
  }

  public void setPoolSize(int poolSize) {
    this.poolSize = poolSize;
  }

  public Duration getConnectionTimeout() {
    return connectionTimeout;
  }

  public void setConnectionTimeout(Duration connectionTimeout) {
    this.connectionTimeout = connectionTimeout;
  }

  public Duration getPaymentProcessingTime() {
    return paymentProcessingTime;
  }

  public void setPaymentProcessingTime(Duration paymentProcessingTime) {
    this.paymentProcessingTime = paymentProcessingTime;
  }

  public String getTokenKey() {
    return tokenKey;
  }

  public void setTokenKey(String tokenKey) {
    this.tokenKey = tokenKey;
  }

  public Duration getMaxReplicaLag() {
    return maxReplicaLag;
  }

  public void setMaxReplicaLag(Duration maxReplicaLag) {
    this.maxReplicaLag = maxReplicaLag;
  }

  /** Where one PostgreSQL server is. */
  public static class Node {

    /** JDBC URL, e.g. {@code jdbc:postgresql://localhost:5432/app}. */
    private String url = "";

    private String username = "postgres";

    private String password = "";

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }

    public String getUsername() {
      return username;
    }

    public void setUsername(String username) {
      this.username = username;
    }

    public String getPassword() {
      return password;
    }

    public void setPassword(String password) {
      this.password = password;
    }
  }
}
