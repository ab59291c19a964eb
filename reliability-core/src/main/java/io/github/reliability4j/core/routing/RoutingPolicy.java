package io.github.reliability4j.core.routing;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * Routing, lag-monitoring and replica-health settings. Immutable and thread-safe; build with {@link
 * #custom()} or use {@link #ofDefaults()}.
 */
public final class RoutingPolicy {

  private final RoutingOptions defaults;
  private final Duration maxCausalWait;
  private final Duration causalPollInterval;
  private final Duration maxReplicaLag;
  private final long maxReplicaLagBytes;
  private final Duration sampleInterval;
  private final Duration sampleExpiry;
  private final Duration probeTimeout;
  private final int readmitAfterSamples;
  private final LoadBalancing loadBalancing;
  private final int maxConcurrentFallbackReads;
  private final CircuitBreakerConfig circuitBreakerConfig;

  private RoutingPolicy(Builder b) {
    this.defaults =
        RoutingOptions.custom()
            .consistency(b.consistency)
            .readPreference(b.readPreference)
            .partitionBehavior(b.partitionBehavior)
            .maxCausalWait(b.maxCausalWait)
            .build();
    this.maxCausalWait = b.maxCausalWait;
    this.causalPollInterval = b.causalPollInterval;
    this.maxReplicaLag = b.maxReplicaLag;
    this.maxReplicaLagBytes = b.maxReplicaLagBytes;
    this.sampleInterval = b.sampleInterval;
    this.sampleExpiry = b.sampleExpiry != null ? b.sampleExpiry : b.sampleInterval.multipliedBy(3);
    this.probeTimeout = b.probeTimeout;
    this.readmitAfterSamples = b.readmitAfterSamples;
    this.loadBalancing = b.loadBalancing;
    this.maxConcurrentFallbackReads = b.maxConcurrentFallbackReads;
    this.circuitBreakerConfig = b.circuitBreakerConfig;
    if (defaults.consistency().kind() == ConsistencyLevel.Kind.BOUNDED_STALENESS
        && defaults
                .consistency()
                .maxStaleness()
                .compareTo(minimumHonourableStaleness(sampleInterval))
            < 0) {
      throw new IllegalStateException(
          "defaultConsistency "
              + defaults.consistency()
              + " cannot be honoured with sampleInterval "
              + sampleInterval.toMillis()
              + "ms: a replica's staleness is only known to within about two sample intervals,"
              + " so a bound below "
              + minimumHonourableStaleness(sampleInterval).toMillis()
              + "ms would send nearly every read to the primary; raise the bound or lower"
              + " sampleInterval");
    }
    if (sampleExpiry.compareTo(sampleInterval) <= 0) {
      throw new IllegalStateException(
          "sampleExpiry ("
              + sampleExpiry
              + ") must be longer than sampleInterval ("
              + sampleInterval
              + "), or every replica would always count as stale");
    }
  }

  /**
   * The smallest bounded-staleness bound that replicas can be proven to meet with this sample
   * interval: twice the interval. A replica's staleness is measured from the newest primary sample
   * its last sample covers, and the primary and the replicas are sampled independently, so a
   * caught-up replica's measured staleness ranges up to about two sample intervals. {@link
   * Builder#build()} rejects a default consistency below it; a per-read bound below it is served
   * (mostly by the primary) and reported once per bound with a WARN log and {@link
   * RoutingListener#onWarning}.
   */
  public static Duration minimumHonourableStaleness(Duration sampleInterval) {
    return sampleInterval.multipliedBy(2);
  }

  public static RoutingPolicy ofDefaults() {
    return custom().build();
  }

  public static Builder custom() {
    return new Builder();
  }

  /** A builder starting from {@code base}'s settings. */
  public static Builder from(RoutingPolicy base) {
    Builder b = new Builder();
    b.consistency = base.defaults.consistency();
    b.readPreference = base.defaults.readPreference();
    b.partitionBehavior = base.defaults.partitionBehavior();
    b.maxCausalWait = base.maxCausalWait;
    b.causalPollInterval = base.causalPollInterval;
    b.maxReplicaLag = base.maxReplicaLag;
    b.maxReplicaLagBytes = base.maxReplicaLagBytes;
    b.sampleInterval = base.sampleInterval;
    b.sampleExpiry = base.sampleExpiry;
    b.probeTimeout = base.probeTimeout;
    b.readmitAfterSamples = base.readmitAfterSamples;
    b.loadBalancing = base.loadBalancing;
    b.maxConcurrentFallbackReads = base.maxConcurrentFallbackReads;
    b.circuitBreakerConfig = base.circuitBreakerConfig;
    return b;
  }

  /** Data-source-wide defaults; every setting is non-null. */
  public RoutingOptions defaults() {
    return defaults;
  }

  public Duration maxCausalWait() {
    return maxCausalWait;
  }

  public Duration causalPollInterval() {
    return causalPollInterval;
  }

  public Duration maxReplicaLag() {
    return maxReplicaLag;
  }

  public long maxReplicaLagBytes() {
    return maxReplicaLagBytes;
  }

  public Duration sampleInterval() {
    return sampleInterval;
  }

  public Duration sampleExpiry() {
    return sampleExpiry;
  }

  public Duration probeTimeout() {
    return probeTimeout;
  }

  public int readmitAfterSamples() {
    return readmitAfterSamples;
  }

  public LoadBalancing loadBalancing() {
    return loadBalancing;
  }

  public int maxConcurrentFallbackReads() {
    return maxConcurrentFallbackReads;
  }

  public CircuitBreakerConfig circuitBreakerConfig() {
    return circuitBreakerConfig;
  }

  /** Builds a {@link RoutingPolicy}. Setters validate at once. Not thread-safe. */
  public static final class Builder {
    private ConsistencyLevel consistency = ConsistencyLevel.READ_YOUR_WRITES;
    private ReadPreference readPreference = ReadPreference.REPLICA_PREFERRED;
    private PartitionBehavior partitionBehavior = PartitionBehavior.FAIL;
    private Duration maxCausalWait = Duration.ofMillis(100);
    private Duration causalPollInterval = Duration.ofMillis(5);
    private Duration maxReplicaLag = Duration.ofSeconds(10);
    private long maxReplicaLagBytes = Long.MAX_VALUE;
    private Duration sampleInterval = Duration.ofMillis(500);
    private Duration sampleExpiry;
    private Duration probeTimeout = Duration.ofSeconds(2);
    private int readmitAfterSamples = 3;
    private LoadBalancing loadBalancing = LoadBalancing.ROUND_ROBIN;
    private int maxConcurrentFallbackReads = Integer.MAX_VALUE;
    private CircuitBreakerConfig circuitBreakerConfig =
        CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(10)
            .minimumNumberOfCalls(3)
            .failureRateThreshold(50)
            .waitDurationInOpenState(Duration.ofSeconds(5))
            .permittedNumberOfCallsInHalfOpenState(2)
            .build();

    private Builder() {}

    /**
     * Default consistency for reads (default {@code READ_YOUR_WRITES}). A bounded-staleness default
     * must be at least {@link #minimumHonourableStaleness twice the sample interval}, or {@link
     * #build()} fails.
     */
    public Builder defaultConsistency(ConsistencyLevel consistency) {
      this.consistency = Objects.requireNonNull(consistency, "defaultConsistency");
      return this;
    }

    /** Default read preference for reads (default {@code REPLICA_PREFERRED}). */
    public Builder defaultReadPreference(ReadPreference readPreference) {
      this.readPreference = Objects.requireNonNull(readPreference, "defaultReadPreference");
      return this;
    }

    /** Default partition behaviour (default {@code FAIL}). */
    public Builder defaultPartitionBehavior(PartitionBehavior partitionBehavior) {
      this.partitionBehavior = Objects.requireNonNull(partitionBehavior, "partitionBehavior");
      return this;
    }

    /**
     * How long a read-your-writes read may wait for a replica to replay the session's position
     * before it goes to the primary (default 100ms; zero disables waiting). The statement's query
     * timeout bounds it further.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder maxCausalWait(Duration maxCausalWait) {
      this.maxCausalWait = nonNegative("maxCausalWait", maxCausalWait);
      return this;
    }

    /**
     * Pause between replay-position checks during a causal wait (default 5ms).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder causalPollInterval(Duration causalPollInterval) {
      this.causalPollInterval = positive("causalPollInterval", causalPollInterval);
      return this;
    }

    /**
     * Replicas whose data is older than this are excluded from reads (default 10s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxReplicaLag(Duration maxReplicaLag) {
      this.maxReplicaLag = positive("maxReplicaLag", maxReplicaLag);
      return this;
    }

    /**
     * Replicas further behind than this many bytes of replication stream are excluded (default
     * unlimited). Ignored for dialects whose positions have no byte distance.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder maxReplicaLagBytes(long maxReplicaLagBytes) {
      if (maxReplicaLagBytes < 0) {
        throw new IllegalArgumentException(
            "maxReplicaLagBytes must not be negative, but was " + maxReplicaLagBytes);
      }
      this.maxReplicaLagBytes = maxReplicaLagBytes;
      return this;
    }

    /**
     * How often the lag monitor samples each replica (default 500ms); also the resolution of the
     * measured lag.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder sampleInterval(Duration sampleInterval) {
      this.sampleInterval = positive("sampleInterval", sampleInterval);
      return this;
    }

    /**
     * After this long without a successful sample a replica's lag counts as unknown, hence stale
     * (default three sample intervals). Must be longer than the sample interval.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder sampleExpiry(Duration sampleExpiry) {
      this.sampleExpiry = positive("sampleExpiry", sampleExpiry);
      return this;
    }

    /**
     * Bound of each lag probe (default 2s): of its statement (network timeout), and of its wait for
     * a pool connection, which the JDBC router enforces itself however long the pool would wait (a
     * replica probe's wait is also capped by the replica connect timeout).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder probeTimeout(Duration probeTimeout) {
      this.probeTimeout = positive("probeTimeout", probeTimeout);
      return this;
    }

    /**
     * Consecutive good samples an excluded replica needs before it receives reads again (default
     * 3).
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder readmitAfterSamples(int readmitAfterSamples) {
      if (readmitAfterSamples < 1) {
        throw new IllegalArgumentException(
            "readmitAfterSamples must be at least 1, but was " + readmitAfterSamples);
      }
      this.readmitAfterSamples = readmitAfterSamples;
      return this;
    }

    public Builder loadBalancing(LoadBalancing loadBalancing) {
      this.loadBalancing = Objects.requireNonNull(loadBalancing, "loadBalancing");
      return this;
    }

    /**
     * Cap on concurrent reads that fell back to the primary because replicas could not serve them
     * (default unlimited). Beyond it such reads fail fast with a retryable SQLException instead of
     * flooding the primary.
     *
     * @throws IllegalArgumentException if less than 0
     */
    public Builder maxConcurrentFallbackReads(int maxConcurrentFallbackReads) {
      if (maxConcurrentFallbackReads < 0) {
        throw new IllegalArgumentException(
            "maxConcurrentFallbackReads must not be negative, but was "
                + maxConcurrentFallbackReads);
      }
      this.maxConcurrentFallbackReads = maxConcurrentFallbackReads;
      return this;
    }

    /** Configuration of the per-replica circuit breakers (connection failures count as errors). */
    public Builder circuitBreakerConfig(CircuitBreakerConfig circuitBreakerConfig) {
      this.circuitBreakerConfig = Objects.requireNonNull(circuitBreakerConfig, "config");
      return this;
    }

    /**
     * @throws IllegalStateException if sampleExpiry is not longer than sampleInterval, or a
     *     bounded-staleness default consistency is below twice the sample interval
     */
    public RoutingPolicy build() {
      return new RoutingPolicy(this);
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, but was " + d);
      }
      return d;
    }

    private static Duration nonNegative(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative, but was " + d);
      }
      return d;
    }
  }
}
