package io.github.reliability4j.core.idempotency;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Per-operation settings of the idempotency engine. Immutable and thread-safe; build with {@link
 * #custom()}, {@link #from(IdempotencyConfig)} or use {@link #ofDefaults()}.
 *
 * <table>
 *   <caption>Settings and defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>leaseDuration</td><td>30 s — how long an owner holds an in-progress key</td></tr>
 *   <tr><td>retention</td><td>24 h — how long a completed outcome is replayed</td></tr>
 *   <tr><td>leaseRenewalInterval</td><td>leaseDuration / 3 (renewal on)</td></tr>
 *   <tr><td>concurrencyMode</td><td>{@link ConcurrencyMode#REJECT}</td></tr>
 *   <tr><td>waitTimeout / waitPollInterval</td><td>10 s / 50 ms (only for WAIT)</td></tr>
 *   <tr><td>outagePolicy</td><td>{@link OutagePolicy#FAIL_CLOSED}</td></tr>
 *   <tr><td>outcomePolicy</td><td>{@link OutcomePolicy#storeSuccessesAndClientErrors()}</td></tr>
 *   <tr><td>maxKeyLength</td><td>255 characters per key component (1..1024)</td></tr>
 *   <tr><td>maxStoredOutcomeBytes</td><td>256 KiB</td></tr>
 * </table>
 */
public final class IdempotencyConfig {

  public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(30);
  public static final Duration DEFAULT_RETENTION = Duration.ofHours(24);
  public static final Duration DEFAULT_WAIT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_WAIT_POLL_INTERVAL = Duration.ofMillis(50);
  public static final int DEFAULT_MAX_KEY_LENGTH = 255;
  public static final long DEFAULT_MAX_STORED_OUTCOME_BYTES = 256 * 1024;

  private static final IdempotencyConfig DEFAULTS = custom().build();

  private final Duration leaseDuration;
  private final Duration retention;
  private final Duration leaseRenewalInterval;
  private final Duration explicitRenewalInterval;
  private final ConcurrencyMode concurrencyMode;
  private final Duration waitTimeout;
  private final Duration waitPollInterval;
  private final OutagePolicy outagePolicy;
  private final OutcomePolicy outcomePolicy;
  private final int maxKeyLength;
  private final long maxStoredOutcomeBytes;

  private IdempotencyConfig(Builder b, Duration renewal) {
    this.leaseDuration = b.leaseDuration;
    this.retention = b.retention;
    this.leaseRenewalInterval = renewal;
    this.explicitRenewalInterval = b.leaseRenewalInterval;
    this.concurrencyMode = b.concurrencyMode;
    this.waitTimeout = b.waitTimeout;
    this.waitPollInterval = b.waitPollInterval;
    this.outagePolicy = b.outagePolicy;
    this.outcomePolicy = b.outcomePolicy;
    this.maxKeyLength = b.maxKeyLength;
    this.maxStoredOutcomeBytes = b.maxStoredOutcomeBytes;
  }

  public static IdempotencyConfig ofDefaults() {
    return DEFAULTS;
  }

  public static Builder custom() {
    return new Builder();
  }

  /** A builder initialised with every setting of {@code base}. */
  public static Builder from(IdempotencyConfig base) {
    Objects.requireNonNull(base, "base");
    Builder b = new Builder();
    b.leaseDuration = base.leaseDuration;
    b.retention = base.retention;
    b.renewalDisabled = base.leaseRenewalInterval == null;
    b.leaseRenewalInterval = base.explicitRenewalInterval;
    b.concurrencyMode = base.concurrencyMode;
    b.waitTimeout = base.waitTimeout;
    b.waitPollInterval = base.waitPollInterval;
    b.outagePolicy = base.outagePolicy;
    b.outcomePolicy = base.outcomePolicy;
    b.maxKeyLength = base.maxKeyLength;
    b.maxStoredOutcomeBytes = base.maxStoredOutcomeBytes;
    return b;
  }

  public Duration getLeaseDuration() {
    return leaseDuration;
  }

  public Duration getRetention() {
    return retention;
  }

  /** The renewal period for in-progress leases, or empty if renewal is disabled. */
  public Optional<Duration> getLeaseRenewalInterval() {
    return Optional.ofNullable(leaseRenewalInterval);
  }

  public ConcurrencyMode getConcurrencyMode() {
    return concurrencyMode;
  }

  public Duration getWaitTimeout() {
    return waitTimeout;
  }

  public Duration getWaitPollInterval() {
    return waitPollInterval;
  }

  public OutagePolicy getOutagePolicy() {
    return outagePolicy;
  }

  public OutcomePolicy getOutcomePolicy() {
    return outcomePolicy;
  }

  public int getMaxKeyLength() {
    return maxKeyLength;
  }

  public long getMaxStoredOutcomeBytes() {
    return maxStoredOutcomeBytes;
  }

  @Override
  public String toString() {
    return "IdempotencyConfig[leaseDuration="
        + leaseDuration
        + ", retention="
        + retention
        + ", leaseRenewalInterval="
        + leaseRenewalInterval
        + ", concurrencyMode="
        + concurrencyMode
        + ", waitTimeout="
        + waitTimeout
        + ", waitPollInterval="
        + waitPollInterval
        + ", outagePolicy="
        + outagePolicy
        + ", maxKeyLength="
        + maxKeyLength
        + ", maxStoredOutcomeBytes="
        + maxStoredOutcomeBytes
        + "]";
  }

  /** Builder; setters validate at once. Not thread-safe. */
  public static final class Builder {
    private Duration leaseDuration = DEFAULT_LEASE_DURATION;
    private Duration retention = DEFAULT_RETENTION;
    private Duration leaseRenewalInterval;
    private boolean renewalDisabled;
    private ConcurrencyMode concurrencyMode = ConcurrencyMode.REJECT;
    private Duration waitTimeout = DEFAULT_WAIT_TIMEOUT;
    private Duration waitPollInterval = DEFAULT_WAIT_POLL_INTERVAL;
    private OutagePolicy outagePolicy = OutagePolicy.FAIL_CLOSED;
    private OutcomePolicy outcomePolicy = OutcomePolicy.storeSuccessesAndClientErrors();
    private int maxKeyLength = DEFAULT_MAX_KEY_LENGTH;
    private long maxStoredOutcomeBytes = DEFAULT_MAX_STORED_OUTCOME_BYTES;

    private Builder() {}

    /**
     * How long a claim owns an in-progress key before another request may take it over.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder leaseDuration(Duration leaseDuration) {
      this.leaseDuration = positive("leaseDuration", leaseDuration);
      return this;
    }

    /**
     * How long a completed outcome is kept and replayed; afterwards the key starts a new request.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder retention(Duration retention) {
      this.retention = positive("retention", retention);
      return this;
    }

    /**
     * Renew the lease of a running action every {@code interval}. Must be shorter than the lease
     * (checked by {@link #build()}).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder leaseRenewalInterval(Duration interval) {
      this.leaseRenewalInterval = positive("leaseRenewalInterval", interval);
      this.renewalDisabled = false;
      return this;
    }

    /** Never renew leases: an action running longer than the lease may be executed twice. */
    public Builder disableLeaseRenewal() {
      this.leaseRenewalInterval = null;
      this.renewalDisabled = true;
      return this;
    }

    public Builder concurrencyMode(ConcurrencyMode mode) {
      this.concurrencyMode = Objects.requireNonNull(mode, "concurrencyMode");
      return this;
    }

    /**
     * Longest time a {@link ConcurrencyMode#WAIT} request waits for the owner.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder waitTimeout(Duration waitTimeout) {
      this.waitTimeout = positive("waitTimeout", waitTimeout);
      return this;
    }

    /**
     * How often a waiting request re-reads the store when the owner runs in another process (owners
     * in the same engine wake waiters at once).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder waitPollInterval(Duration waitPollInterval) {
      this.waitPollInterval = positive("waitPollInterval", waitPollInterval);
      return this;
    }

    public Builder outagePolicy(OutagePolicy outagePolicy) {
      this.outagePolicy = Objects.requireNonNull(outagePolicy, "outagePolicy");
      return this;
    }

    public Builder outcomePolicy(OutcomePolicy outcomePolicy) {
      this.outcomePolicy = Objects.requireNonNull(outcomePolicy, "outcomePolicy");
      return this;
    }

    /**
     * Maximum length of each key component (scope, operation, client key).
     *
     * @throws IllegalArgumentException if outside 1..{@value IdempotencyKey#ABSOLUTE_MAX_LENGTH}
     */
    public Builder maxKeyLength(int maxKeyLength) {
      if (maxKeyLength < 1 || maxKeyLength > IdempotencyKey.ABSOLUTE_MAX_LENGTH) {
        throw new IllegalArgumentException(
            "maxKeyLength must be in 1.."
                + IdempotencyKey.ABSOLUTE_MAX_LENGTH
                + ", but was "
                + maxKeyLength);
      }
      this.maxKeyLength = maxKeyLength;
      return this;
    }

    /**
     * Largest outcome ({@link StoredOutcome#sizeInBytes()}) that is stored. A larger outcome is
     * still returned to the caller, but not stored: the key is released and an {@code
     * OUTCOME_TOO_LARGE} event is published.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder maxStoredOutcomeBytes(long maxStoredOutcomeBytes) {
      if (maxStoredOutcomeBytes < 0) {
        throw new IllegalArgumentException(
            "maxStoredOutcomeBytes must be >= 0, but was " + maxStoredOutcomeBytes);
      }
      this.maxStoredOutcomeBytes = maxStoredOutcomeBytes;
      return this;
    }

    /**
     * Builds the config.
     *
     * @throws IllegalStateException if leaseRenewalInterval is not shorter than leaseDuration
     */
    public IdempotencyConfig build() {
      Duration renewal = null;
      if (!renewalDisabled) {
        if (leaseRenewalInterval == null) {
          renewal = leaseDuration.dividedBy(3);
          if (renewal.isZero()) {
            renewal = null;
          }
        } else {
          if (leaseRenewalInterval.compareTo(leaseDuration) >= 0) {
            throw new IllegalStateException(
                "leaseRenewalInterval ("
                    + leaseRenewalInterval
                    + ") must be shorter than leaseDuration ("
                    + leaseDuration
                    + ")");
          }
          renewal = leaseRenewalInterval;
        }
      }
      return new IdempotencyConfig(this, renewal);
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, but was " + value);
      }
      return value;
    }
  }
}
