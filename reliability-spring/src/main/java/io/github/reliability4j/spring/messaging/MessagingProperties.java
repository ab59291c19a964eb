package io.github.reliability4j.spring.messaging;

import io.github.reliability4j.core.health.ProbeWeight;
import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings for {@link IdempotentListener @IdempotentListener} message listeners and the broker
 * health probes, bound from {@code reliability.messaging.*}. Engine settings (lease, retention,
 * store failure mode, store call timeout) come from {@code reliability.idempotency.*}, shared with
 * HTTP endpoints.
 */
@ConfigurationProperties(prefix = "reliability.messaging")
public class MessagingProperties {

  private final Idempotency idempotency = new Idempotency();

  private final Health health = new Health();

  public Idempotency getIdempotency() {
    return idempotency;
  }

  public Health getHealth() {
    return health;
  }

  /** {@code reliability.messaging.health.*}: broker probes in the background health checker. */
  public static class Health {

    /** Whether messaging probes are registered when their client is present. */
    private boolean enabled = true;

    private final Kafka kafka = new Kafka();

    private final Rabbit rabbit = new Rabbit();

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public Kafka getKafka() {
      return kafka;
    }

    public Rabbit getRabbit() {
      return rabbit;
    }
  }

  /** Settings every messaging probe has. */
  public abstract static class Probe {

    /** How much the probe counts in readiness. */
    private ProbeWeight weight = ProbeWeight.DEGRADING;

    /** Evaluation interval; unset means reliability.health.interval. */
    private Duration interval;

    /** Deadline of one evaluation; unset means reliability.health.deadline. */
    private Duration deadline;

    public ProbeWeight getWeight() {
      return weight;
    }

    public void setWeight(ProbeWeight weight) {
      this.weight = weight;
    }

    public Duration getInterval() {
      return interval;
    }

    public void setInterval(Duration interval) {
      this.interval = interval;
    }

    public Duration getDeadline() {
      return deadline;
    }

    public void setDeadline(Duration deadline) {
      this.deadline = deadline;
    }
  }

  /** The {@code kafka-consumer-lag} probe. */
  public static class Kafka extends Probe {

    /** Whether the probe is registered (needs a KafkaAdmin bean). */
    private boolean enabled = true;

    /** Consumer groups to check; empty means the groups of the application's listeners. */
    private List<String> groups = new ArrayList<>();

    /** Total lag of a group, in records, from which the probe warns. */
    private long warnLag = 1000;

    /** Total lag of a group from which the probe fails; 0 means never. */
    private long failLag;

    /** Lag of one partition from which the probe warns; 0 means never. */
    private long warnPartitionLag;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public List<String> getGroups() {
      return groups;
    }

    public void setGroups(List<String> groups) {
      this.groups = groups;
    }

    public long getWarnLag() {
      return warnLag;
    }

    public void setWarnLag(long warnLag) {
      this.warnLag = warnLag;
    }

    public long getFailLag() {
      return failLag;
    }

    public void setFailLag(long failLag) {
      this.failLag = failLag;
    }

    public long getWarnPartitionLag() {
      return warnPartitionLag;
    }

    public void setWarnPartitionLag(long warnPartitionLag) {
      this.warnPartitionLag = warnPartitionLag;
    }
  }

  /** The {@code rabbitmq} probe. */
  public static class Rabbit extends Probe {

    /** Whether the probe is registered (needs a Spring AMQP ConnectionFactory bean). */
    private boolean enabled = true;

    /** Queues whose depth and consumer count are checked; empty checks the connection only. */
    private List<String> queues = new ArrayList<>();

    /** Queue depth, in messages, from which the probe warns. */
    private long warnDepth = 1000;

    /** Queue depth from which the probe fails; 0 means never. */
    private long failDepth;

    /** Fewest consumers each queue should have; 0 means not checked. */
    private int minConsumers;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public List<String> getQueues() {
      return queues;
    }

    public void setQueues(List<String> queues) {
      this.queues = queues;
    }

    public long getWarnDepth() {
      return warnDepth;
    }

    public void setWarnDepth(long warnDepth) {
      this.warnDepth = warnDepth;
    }

    public long getFailDepth() {
      return failDepth;
    }

    public void setFailDepth(long failDepth) {
      this.failDepth = failDepth;
    }

    public int getMinConsumers() {
      return minConsumers;
    }

    public void setMinConsumers(int minConsumers) {
      this.minConsumers = minConsumers;
    }
  }

  /** {@code reliability.messaging.idempotency.*}. */
  public static class Idempotency {

    /** Whether {@code @IdempotentListener} methods are deduplicated. */
    private boolean enabled = true;

    /** Header carrying the message's idempotency key; must not be blank. */
    private String keyHeader = "Idempotency-Key";

    /**
     * Longest accepted key, in characters, 1 to 1024 ({@code IdempotencyKey}'s absolute limit);
     * longer keys are dead-lettered.
     */
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

  /**
   * Overrides for one listener; unset values fall back to the global ones, and a value set here has
   * the same bounds as the global one (checked at start-up, naming the property).
   */
  public static class Listener {

    /** Header carrying the key for this listener; must not be blank. */
    private String keyHeader;

    /** What a message without a key does for this listener. */
    private IdempotentListener.MissingKey missingKey;

    /** Concurrency mode for this listener. */
    private ConcurrencyMode concurrency;

    /**
     * Longest wait under WAIT for this listener; zero answers at once (like REJECT), other values
     * must be positive (the core config's {@code waitTimeout}), the bounds of
     * reliability.idempotency.wait-timeout, which applies when this is unset.
     */
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
