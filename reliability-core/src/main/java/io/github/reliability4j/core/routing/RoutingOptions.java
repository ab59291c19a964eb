package io.github.reliability4j.core.routing;

import java.time.Duration;
import java.util.Objects;

/**
 * Per-operation routing settings. Each setting is optional; an unset one is inherited from the
 * enclosing {@link Consistency#options scope} and finally from the data source's defaults.
 * Immutable and thread-safe.
 */
public final class RoutingOptions {

  private static final RoutingOptions EMPTY = new RoutingOptions(null, null, null, null);

  private final ConsistencyLevel consistency;
  private final ReadPreference readPreference;
  private final PartitionBehavior partitionBehavior;
  private final Duration maxCausalWait;

  private RoutingOptions(
      ConsistencyLevel consistency,
      ReadPreference readPreference,
      PartitionBehavior partitionBehavior,
      Duration maxCausalWait) {
    this.consistency = consistency;
    this.readPreference = readPreference;
    this.partitionBehavior = partitionBehavior;
    this.maxCausalWait = maxCausalWait;
  }

  public static RoutingOptions none() {
    return EMPTY;
  }

  public static Builder custom() {
    return new Builder();
  }

  public static RoutingOptions of(ConsistencyLevel consistency) {
    return custom().consistency(consistency).build();
  }

  public static RoutingOptions of(ReadPreference readPreference) {
    return custom().readPreference(readPreference).build();
  }

  /** May be null (inherit). */
  public ConsistencyLevel consistency() {
    return consistency;
  }

  /** May be null (inherit). */
  public ReadPreference readPreference() {
    return readPreference;
  }

  /** May be null (inherit). */
  public PartitionBehavior partitionBehavior() {
    return partitionBehavior;
  }

  /** May be null (inherit). */
  public Duration maxCausalWait() {
    return maxCausalWait;
  }

  /** These options with every unset setting taken from {@code parent}. */
  public RoutingOptions orElse(RoutingOptions parent) {
    return new RoutingOptions(
        consistency != null ? consistency : parent.consistency,
        readPreference != null ? readPreference : parent.readPreference,
        partitionBehavior != null ? partitionBehavior : parent.partitionBehavior,
        maxCausalWait != null ? maxCausalWait : parent.maxCausalWait);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RoutingOptions r
        && Objects.equals(consistency, r.consistency)
        && readPreference == r.readPreference
        && partitionBehavior == r.partitionBehavior
        && Objects.equals(maxCausalWait, r.maxCausalWait);
  }

  @Override
  public int hashCode() {
    return Objects.hash(consistency, readPreference, partitionBehavior, maxCausalWait);
  }

  @Override
  public String toString() {
    return "RoutingOptions[consistency="
        + consistency
        + ", readPreference="
        + readPreference
        + ", partitionBehavior="
        + partitionBehavior
        + ", maxCausalWait="
        + maxCausalWait
        + "]";
  }

  /** Builds {@link RoutingOptions}. Not thread-safe. */
  public static final class Builder {
    private ConsistencyLevel consistency;
    private ReadPreference readPreference;
    private PartitionBehavior partitionBehavior;
    private Duration maxCausalWait;

    private Builder() {}

    public Builder consistency(ConsistencyLevel consistency) {
      this.consistency = consistency;
      return this;
    }

    public Builder readPreference(ReadPreference readPreference) {
      this.readPreference = readPreference;
      return this;
    }

    public Builder partitionBehavior(PartitionBehavior partitionBehavior) {
      this.partitionBehavior = partitionBehavior;
      return this;
    }

    /**
     * Upper bound on how long a read-your-writes read may wait for a replica to catch up before
     * going to the primary; the statement's query timeout bounds it further.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder maxCausalWait(Duration maxCausalWait) {
      if (maxCausalWait != null && maxCausalWait.isNegative()) {
        throw new IllegalArgumentException(
            "maxCausalWait must not be negative, but was " + maxCausalWait);
      }
      this.maxCausalWait = maxCausalWait;
      return this;
    }

    public RoutingOptions build() {
      return new RoutingOptions(consistency, readPreference, partitionBehavior, maxCausalWait);
    }
  }
}
