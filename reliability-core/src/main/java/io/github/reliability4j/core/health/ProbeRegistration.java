package io.github.reliability4j.core.health;

import io.github.reliability4j.core.health.internal.Checks;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A probe together with where it counts ({@link ProbeKind}s), how much ({@link ProbeWeight}), how
 * it is described in health+json output, and its evaluation settings. Settings left unset take the
 * checker's defaults from {@link HealthCheckerConfig}.
 *
 * <p>A probe is assumed to check an <em>external dependency</em> unless {@link Builder#internal()}
 * is called. Registering a probe that checks an external dependency in {@link ProbeKind#LIVENESS}
 * is refused at {@link Builder#build()} unless {@link Builder#allowExternalDependencyInLiveness()}
 * is called, because a dependency outage must not restart every instance.
 *
 * <pre>{@code
 * ProbeRegistration.builder("primary-db", connectivityProbe)
 *     .componentType("datastore").measurement("responseTime")
 *     .kinds(ProbeKind.READINESS, ProbeKind.DEEP).weight(ProbeWeight.CRITICAL)
 *     .interval(Duration.ofSeconds(5)).deadline(Duration.ofSeconds(1))
 *     .build();
 * }</pre>
 *
 * <p>Instances are immutable.
 */
public final class ProbeRegistration {
  private final String name;
  private final Probe probe;
  private final String componentType;
  private final String measurement;
  private final Set<ProbeKind> kinds;
  private final ProbeWeight weight;
  private final boolean external;
  private final Duration interval;
  private final Duration failingInterval;
  private final Duration deadline;
  private final Duration maxAge;
  private final Double jitter;
  private final Integer failureThreshold;
  private final Integer recoveryThreshold;

  private ProbeRegistration(Builder b) {
    this.name = b.name;
    this.probe = b.probe;
    this.componentType = b.componentType;
    this.measurement = b.measurement;
    this.kinds = Collections.unmodifiableSet(EnumSet.copyOf(b.kinds));
    this.weight = b.weight;
    this.external = b.external;
    this.interval = b.interval;
    this.failingInterval = b.failingInterval;
    this.deadline = b.deadline;
    this.maxAge = b.maxAge;
    this.jitter = b.jitter;
    this.failureThreshold = b.failureThreshold;
    this.recoveryThreshold = b.recoveryThreshold;
  }

  private ProbeRegistration(ProbeRegistration o, Probe probe) {
    this.name = o.name;
    this.probe = probe;
    this.componentType = o.componentType;
    this.measurement = o.measurement;
    this.kinds = o.kinds;
    this.weight = o.weight;
    this.external = o.external;
    this.interval = o.interval;
    this.failingInterval = o.failingInterval;
    this.deadline = o.deadline;
    this.maxAge = o.maxAge;
    this.jitter = o.jitter;
    this.failureThreshold = o.failureThreshold;
    this.recoveryThreshold = o.recoveryThreshold;
  }

  /**
   * This registration with another probe body and every other setting unchanged (for decorators
   * that time or trace the original probe).
   *
   * @param probe the new body
   * @return a new registration
   */
  public ProbeRegistration withProbe(Probe probe) {
    return new ProbeRegistration(this, Objects.requireNonNull(probe, "probe"));
  }

  /**
   * Starts a registration.
   *
   * @param name unique probe name, used as the health+json {@code componentId}; must be non-blank
   *     and contain no {@code ':'}
   * @throws IllegalArgumentException if the name is blank or contains {@code ':'}
   */
  public static Builder builder(String name, Probe probe) {
    return new Builder(name, probe);
  }

  public String name() {
    return name;
  }

  public Probe probe() {
    return probe;
  }

  /** Returns the health+json {@code componentType} (e.g. {@code datastore}), or null. */
  public String componentType() {
    return componentType;
  }

  /** Returns the measurement part of the {@code component:measurement} key. */
  public String measurement() {
    return measurement;
  }

  /** Returns the health+json {@code checks} key: {@code name:measurement}. */
  public String key() {
    return name + ":" + measurement;
  }

  /** Returns the kinds this probe counts in; may be empty for a probe used only by groups. */
  public Set<ProbeKind> kinds() {
    return kinds;
  }

  public ProbeWeight weight() {
    return weight;
  }

  /** Returns true if this probe checks an external dependency (the default). */
  public boolean external() {
    return external;
  }

  public Optional<Duration> interval() {
    return Optional.ofNullable(interval);
  }

  public Optional<Duration> failingInterval() {
    return Optional.ofNullable(failingInterval);
  }

  public Optional<Duration> deadline() {
    return Optional.ofNullable(deadline);
  }

  public Optional<Duration> maxAge() {
    return Optional.ofNullable(maxAge);
  }

  public Optional<Double> jitter() {
    return Optional.ofNullable(jitter);
  }

  public Optional<Integer> failureThreshold() {
    return Optional.ofNullable(failureThreshold);
  }

  public Optional<Integer> recoveryThreshold() {
    return Optional.ofNullable(recoveryThreshold);
  }

  /**
   * Builds a {@link ProbeRegistration}; setters validate at once. The schedule settings ({@code
   * interval}, {@code failingInterval}, {@code deadline}, {@code maxAge}, {@code jitter}, {@code
   * failureThreshold}, {@code recoveryThreshold}) are shared with {@link
   * HealthCheckerConfig.Builder}; left unset, they take the checker's defaults. Not thread-safe.
   */
  public static final class Builder extends ProbeScheduleBuilder<Builder> {
    private final String name;
    private final Probe probe;
    private String componentType;
    private String measurement = "status";
    private Set<ProbeKind> kinds = EnumSet.of(ProbeKind.READINESS, ProbeKind.DEEP);
    private ProbeWeight weight = ProbeWeight.CRITICAL;
    private boolean external = true;
    private boolean allowExternalInLiveness;

    private Builder(String name, Probe probe) {
      this.name = Checks.name("name", name);
      this.probe = Objects.requireNonNull(probe, "probe");
    }

    public Builder componentType(String componentType) {
      this.componentType = componentType;
      return this;
    }

    /**
     * Sets the measurement part of the key (default {@code status}), e.g. {@code responseTime}.
     *
     * @throws IllegalArgumentException if blank or containing {@code ':'}
     */
    public Builder measurement(String measurement) {
      this.measurement = Checks.name("measurement", measurement);
      return this;
    }

    /** Sets where the probe counts (default READINESS and DEEP); none means "groups only". */
    public Builder kinds(ProbeKind... kinds) {
      Set<ProbeKind> set = EnumSet.noneOf(ProbeKind.class);
      for (ProbeKind kind : kinds) {
        set.add(Objects.requireNonNull(kind, "kind"));
      }
      this.kinds = set;
      return this;
    }

    /** Sets how much the probe counts (default {@link ProbeWeight#CRITICAL}). */
    public Builder weight(ProbeWeight weight) {
      this.weight = Objects.requireNonNull(weight, "weight");
      return this;
    }

    /** Declares that the probe checks only this process (thread pools, memory, deadlocks). */
    public Builder internal() {
      this.external = false;
      return this;
    }

    /**
     * Allows this probe in {@link ProbeKind#LIVENESS} although it checks an external dependency.
     * Think twice: when the dependency fails, every instance is restarted at once.
     */
    public Builder allowExternalDependencyInLiveness() {
      this.allowExternalInLiveness = true;
      return this;
    }

    /**
     * Builds the registration.
     *
     * @throws IllegalStateException if the probe checks an external dependency and counts in
     *     LIVENESS without {@link #allowExternalDependencyInLiveness()}
     */
    public ProbeRegistration build() {
      if (kinds.contains(ProbeKind.LIVENESS) && external && !allowExternalInLiveness) {
        throw new IllegalStateException(
            "probe '"
                + name
                + "' checks an external dependency and cannot count in LIVENESS: a dependency"
                + " outage would restart every instance. Declare it internal() if it checks only"
                + " this process, or call allowExternalDependencyInLiveness() to override.");
      }
      return new ProbeRegistration(this);
    }
  }
}
