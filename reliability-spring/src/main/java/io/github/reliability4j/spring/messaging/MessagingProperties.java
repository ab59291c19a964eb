package io.github.reliability4j.spring.messaging;

import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings for {@link IdempotentListener @IdempotentListener} message listeners, bound from {@code
 * reliability.messaging.*}. Engine settings (lease, retention, store failure mode, store call
 * timeout) come from {@code reliability.idempotency.*}, shared with HTTP endpoints.
 */
@ConfigurationProperties(prefix = "reliability.messaging")
public class MessagingProperties {

  private final Idempotency idempotency = new Idempotency();

  public Idempotency getIdempotency() {
    return idempotency;
  }

  /** {@code reliability.messaging.idempotency.*}. */
  public static class Idempotency {

    /** Whether {@code @IdempotentListener} methods are deduplicated. */
    private boolean enabled = true;

    /** Header carrying the message's idempotency key. */
    private String keyHeader = "Idempotency-Key";

    /** Longest accepted key, in characters; longer keys are dead-lettered. */
    private int maxKeyLength = 255;

    /** What a message without a key does: REJECT (dead letter) or PROCESS (without dedup). */
    private IdempotentListener.MissingKey missingKey = IdempotentListener.MissingKey.REJECT;

    /** What a message does while the same key is in flight on another consumer. */
    private ConcurrencyMode concurrency = ConcurrencyMode.WAIT;

    /**
     * Whether the key is completed inside the listener's transaction on the JDBC store's DataSource
     * (the transactional inbox).
     */
    private boolean transactional = true;

    /**
     * Per-listener overrides, by {@link IdempotentListener#name()}; a name that matches no listener
     * fails start-up.
     */
    private Map<String, Listener> listeners = new LinkedHashMap<>();

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getKeyHeader() {
      return keyHeader;
    }

    public void setKeyHeader(String keyHeader) {
      this.keyHeader = keyHeader;
    }

    public int getMaxKeyLength() {
      return maxKeyLength;
    }

    public void setMaxKeyLength(int maxKeyLength) {
      this.maxKeyLength = maxKeyLength;
    }

    public IdempotentListener.MissingKey getMissingKey() {
      return missingKey;
    }

    public void setMissingKey(IdempotentListener.MissingKey missingKey) {
      this.missingKey = missingKey;
    }

    public ConcurrencyMode getConcurrency() {
      return concurrency;
    }

    public void setConcurrency(ConcurrencyMode concurrency) {
      this.concurrency = concurrency;
    }

    public boolean isTransactional() {
      return transactional;
    }

    public void setTransactional(boolean transactional) {
      this.transactional = transactional;
    }

    public Map<String, Listener> getListeners() {
      return listeners;
    }

    public void setListeners(Map<String, Listener> listeners) {
      this.listeners = listeners;
    }
  }

  /** Overrides for one listener; unset values fall back to the global ones. */
  public static class Listener {

    /** Header carrying the key for this listener. */
    private String keyHeader;

    /** What a message without a key does for this listener. */
    private IdempotentListener.MissingKey missingKey;

    /** Concurrency mode for this listener. */
    private ConcurrencyMode concurrency;

    /** Longest wait under WAIT for this listener. */
    private Duration waitTimeout;

    public String getKeyHeader() {
      return keyHeader;
    }

    public void setKeyHeader(String keyHeader) {
      this.keyHeader = keyHeader;
    }

    public IdempotentListener.MissingKey getMissingKey() {
      return missingKey;
    }

    public void setMissingKey(IdempotentListener.MissingKey missingKey) {
      this.missingKey = missingKey;
    }

    public ConcurrencyMode getConcurrency() {
      return concurrency;
    }

    public void setConcurrency(ConcurrencyMode concurrency) {
      this.concurrency = concurrency;
    }

    public Duration getWaitTimeout() {
      return waitTimeout;
    }

    public void setWaitTimeout(Duration waitTimeout) {
      this.waitTimeout = waitTimeout;
    }
  }
}
