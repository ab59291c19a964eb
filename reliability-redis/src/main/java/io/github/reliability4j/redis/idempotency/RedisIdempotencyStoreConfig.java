package io.github.reliability4j.redis.idempotency;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link RedisIdempotencyStore}. Immutable; build with {@link #custom()} or take
 * {@link #ofDefaults()}. Every setter validates at once.
 *
 * <pre>{@code
 * RedisIdempotencyStoreConfig config = RedisIdempotencyStoreConfig.custom()
 *     .keyPrefix("payments:idem:")
 *     .commandTimeout(Duration.ofMillis(500))
 *     .maxOutcomeBytes(256 * 1024)
 *     .build();
 * }</pre>
 */
public final class RedisIdempotencyStoreConfig {

  /** Default key prefix. */
  public static final String DEFAULT_KEY_PREFIX = "reliability:idempotency:";

  /** Default per-command timeout; below the engine's default store-call timeout (2 s). */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(1);

  /** Default limit on an encoded outcome (status, metadata and body): 1 MiB. */
  public static final int DEFAULT_MAX_OUTCOME_BYTES = 1024 * 1024;

  /** Longest accepted key prefix. */
  public static final int MAX_KEY_PREFIX_LENGTH = 128;

  private final String keyPrefix;
  private final Duration commandTimeout;
  private final int maxOutcomeBytes;
  private final Clock clock;
  private final int waitReplicas;
  private final Duration waitTimeout;

  private RedisIdempotencyStoreConfig(Builder b) {
    this.keyPrefix = b.keyPrefix;
    this.commandTimeout = b.commandTimeout;
    this.maxOutcomeBytes = b.maxOutcomeBytes;
    this.clock = b.clock;
    this.waitReplicas = b.waitReplicas;
    this.waitTimeout = b.waitTimeout;
  }

  public static RedisIdempotencyStoreConfig ofDefaults() {
    return custom().build();
  }

  public static Builder custom() {
    return new Builder();
  }

  /** A builder starting from {@code base}'s settings. */
  public static Builder from(RedisIdempotencyStoreConfig base) {
    Objects.requireNonNull(base, "base");
    Builder b = new Builder();
    b.keyPrefix = base.keyPrefix;
    b.commandTimeout = base.commandTimeout;
    b.maxOutcomeBytes = base.maxOutcomeBytes;
    b.clock = base.clock;
    b.waitReplicas = base.waitReplicas;
    b.waitTimeout = base.waitTimeout;
    return b;
  }

  public String getKeyPrefix() {
    return keyPrefix;
  }

  public Duration getCommandTimeout() {
    return commandTimeout;
  }

  public int getMaxOutcomeBytes() {
    return maxOutcomeBytes;
  }

  public Clock getClock() {
    return clock;
  }

  /** Replicas every write must reach before it counts; 0 (the default) means no {@code WAIT}. */
  public int getWaitReplicas() {
    return waitReplicas;
  }

  /** How long {@code WAIT} may block for {@link #getWaitReplicas()} acknowledgements. */
  public Duration getWaitTimeout() {
    return waitTimeout;
  }

  @Override
  public String toString() {
    return "RedisIdempotencyStoreConfig[keyPrefix="
        + keyPrefix
        + ", commandTimeout="
        + commandTimeout
        + ", maxOutcomeBytes="
        + maxOutcomeBytes
        + ", waitReplicas="
        + waitReplicas
        + ", waitTimeout="
        + waitTimeout
        + "]";
  }

  /** Builder for {@link RedisIdempotencyStoreConfig}. Not thread-safe. */
  public static final class Builder {
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private int maxOutcomeBytes = DEFAULT_MAX_OUTCOME_BYTES;
    private Clock clock = Clock.systemUTC();
    private int waitReplicas = 0;
    private Duration waitTimeout = Duration.ofMillis(500);

    private Builder() {}

    /**
     * Prefix of every key this store writes. Record keys are the prefix followed by a hash of
     * (scope, operation, client key), so user input never becomes part of a Redis key.
     *
     * @throws IllegalArgumentException if empty, longer than {@value #MAX_KEY_PREFIX_LENGTH}
     *     characters, or containing anything but printable ASCII without space, {@code '{'} and
     *     {@code '}'} (braces would form a Redis Cluster hash tag and put every record in one slot)
     */
    public Builder keyPrefix(String keyPrefix) {
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (keyPrefix.isEmpty() || keyPrefix.length() > MAX_KEY_PREFIX_LENGTH) {
        throw new IllegalArgumentException(
            "keyPrefix must have 1.."
                + MAX_KEY_PREFIX_LENGTH
                + " characters, but had "
                + keyPrefix.length());
      }
      for (int i = 0; i < keyPrefix.length(); i++) {
        char c = keyPrefix.charAt(i);
        if (c == '{' || c == '}') {
          throw new IllegalArgumentException(
              "keyPrefix must not contain '{' or '}' (a Redis Cluster hash tag would put every"
                  + " record in one slot), but was \""
                  + keyPrefix
                  + "\"");
        }
        if (c <= ' ' || c > '~') {
          throw new IllegalArgumentException(
              "keyPrefix must be printable ASCII without spaces, but had character U+"
                  + String.format("%04X", (int) c)
                  + " at index "
                  + i);
        }
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /**
     * Longest time one store call waits for Redis; then it fails with an {@link
     * io.github.reliability4j.core.idempotency.IdempotencyStoreException} and the command is
     * cancelled. Keep it below the engine's store-call timeout so the store's own timeout fires
     * first.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder commandTimeout(Duration commandTimeout) {
      this.commandTimeout = positive("commandTimeout", commandTimeout);
      return this;
    }

    /**
     * Limit on an encoded outcome (status, metadata, body and a few bytes of framing). A larger
     * outcome is rejected by {@link RedisIdempotencyStore#complete} before anything is written.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxOutcomeBytes(int maxOutcomeBytes) {
      if (maxOutcomeBytes <= 0) {
        throw new IllegalArgumentException(
            "maxOutcomeBytes must be positive, but was " + maxOutcomeBytes);
      }
      this.maxOutcomeBytes = maxOutcomeBytes;
      return this;
    }

    /** Clock for leases and retention; tests inject a movable one. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Makes every write (claim, renew, complete, release) wait until {@code replicas} replicas
     * acknowledged it, with Redis {@code WAIT replicas timeout} pipelined behind the script (no
     * extra round trip). A write that fewer replicas acknowledged within {@code timeout} fails with
     * {@link RedisReplicationException}. {@code replicas = 0} turns the option off. Standalone and
     * Sentinel connections only.
     *
     * @throws IllegalArgumentException if {@code replicas} is negative or {@code timeout} is not
     *     positive
     */
    public Builder waitForReplicas(int replicas, Duration timeout) {
      if (replicas < 0) {
        throw new IllegalArgumentException("replicas must be >= 0, but was " + replicas);
      }
      this.waitTimeout = positive("waitTimeout", timeout);
      this.waitReplicas = replicas;
      return this;
    }

    public RedisIdempotencyStoreConfig build() {
      return new RedisIdempotencyStoreConfig(this);
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, but was " + d);
      }
      return d;
    }
  }
}
