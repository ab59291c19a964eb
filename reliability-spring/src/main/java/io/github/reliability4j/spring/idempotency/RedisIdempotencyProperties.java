package io.github.reliability4j.spring.idempotency;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the Redis idempotency store, bound from {@code reliability.idempotency.redis.*}; used
 * when {@code reliability.idempotency.store=redis}.
 */
@ConfigurationProperties(prefix = "reliability.idempotency.redis")
public class RedisIdempotencyProperties {

  /** Prefix of every Redis key of the store: printable ASCII, no spaces, no braces. */
  private String keyPrefix = "reliability:idempotency:";

  /** Longest wait for one Redis command; keep it below store-call-timeout. */
  private Duration commandTimeout = Duration.ofSeconds(1);

  /** Largest stored outcome (status, headers, body) after encoding. */
  private DataSize maxOutcomeSize = DataSize.ofMegabytes(1);

  /** Replicas each write must reach (Redis WAIT); 0 turns WAIT off. Not with a cluster. */
  private int waitReplicas = 0;

  /** How long WAIT may block for wait-replicas acknowledgements. */
  private Duration waitTimeout = Duration.ofMillis(500);

  /** Whether a health probe (PING latency, breaker state) is registered for the store. */
  private boolean probeEnabled = true;

  public String getKeyPrefix() {
    return keyPrefix;
  }

  public void setKeyPrefix(String keyPrefix) {
    this.keyPrefix = keyPrefix;
  }

  public Duration getCommandTimeout() {
    return commandTimeout;
  }

  public void setCommandTimeout(Duration commandTimeout) {
    this.commandTimeout = commandTimeout;
  }

  public DataSize getMaxOutcomeSize() {
    return maxOutcomeSize;
  }

  public void setMaxOutcomeSize(DataSize maxOutcomeSize) {
    this.maxOutcomeSize = maxOutcomeSize;
  }

  public int getWaitReplicas() {
    return waitReplicas;
  }

  public void setWaitReplicas(int waitReplicas) {
    this.waitReplicas = waitReplicas;
  }

  public Duration getWaitTimeout() {
    return waitTimeout;
  }

  public void setWaitTimeout(Duration waitTimeout) {
    this.waitTimeout = waitTimeout;
  }

  public boolean isProbeEnabled() {
    return probeEnabled;
  }

  public void setProbeEnabled(boolean probeEnabled) {
    this.probeEnabled = probeEnabled;
  }
}
