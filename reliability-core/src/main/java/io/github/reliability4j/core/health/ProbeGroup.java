package io.github.reliability4j.core.health;

import io.github.reliability4j.core.health.internal.Checks;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A composite over registered probes: all-of, any-of or k-of-n (e.g. "2 of 3 replicas").
 *
 * <p>The group's status is the status of its k-th best member, using the members' reported
 * (hysteresis-filtered, staleness-checked) statuses in {@link HealthStatus} order. So all-of (k =
 * n) is the worst member, any-of (k = 1) the best, and "2 of 3" is {@code PASS} while at least two
 * members pass. Members' own weights do not apply inside a group; the group's {@link #weight()}
 * applies to its contribution. Members usually count in no kind of their own ({@code kinds()}
 * empty) but are still shown in output.
 *
 * <p>A group counting in LIVENESS is refused when any member checks an external dependency, unless
 * {@link Builder#allowExternalDependencyInLiveness()} is called. Instances are immutable.
 */
public final class ProbeGroup {
  private final String name;
  private final int required;
  private final List<String> members;
  private final Set<ProbeKind> kinds;
  private final ProbeWeight weight;
  private final String componentType;
  private final String measurement;
  private final boolean allowExternalInLiveness;

  private ProbeGroup(Builder b) {
    this.name = b.name;
    this.required = b.required;
    this.members = Collections.unmodifiableList(new ArrayList<>(b.members));
    this.kinds = Collections.unmodifiableSet(EnumSet.copyOf(b.kinds));
    this.weight = b.weight;
    this.componentType = b.componentType;
    this.measurement = b.measurement;
    this.allowExternalInLiveness = b.allowExternalInLiveness;
  }

  /** A group that passes only if every member passes (k = n). */
  public static Builder allOf(String name, String... members) {
    return new Builder(name, members.length, members);
  }

  /** A group that passes if any member passes (k = 1). */
  public static Builder anyOf(String name, String... members) {
    return new Builder(name, 1, members);
  }

  /**
   * A group that passes if at least {@code k} of its members pass.
   *
   * @throws IllegalArgumentException if k &lt; 1, k &gt; number of members, or members repeat
   */
  public static Builder kOfN(String name, int k, String... members) {
    return new Builder(name, k, members);
  }

  public String name() {
    return name;
  }

  /** Returns k: how many members must be available. */
  public int required() {
    return required;
  }

  public List<String> members() {
    return members;
  }

  public Set<ProbeKind> kinds() {
    return kinds;
  }

  public ProbeWeight weight() {
    return weight;
  }

  public String componentType() {
    return componentType;
  }

  public String measurement() {
    return measurement;
  }

  /** Returns the health+json {@code checks} key: {@code name:measurement}. */
  public String key() {
    return name + ":" + measurement;
  }

  boolean allowExternalInLiveness() {
    return allowExternalInLiveness;
  }

  /** Computes the group status from member statuses listed in any order. */
  HealthStatus aggregate(List<HealthStatus> memberStatuses) {
    List<HealthStatus> sorted = new ArrayList<>(memberStatuses);
    Collections.sort(sorted);
    return sorted.get(required - 1);
  }

  /** Builds a {@link ProbeGroup}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final int required;
    private final List<String> members;
    private Set<ProbeKind> kinds = EnumSet.of(ProbeKind.READINESS, ProbeKind.DEEP);
    private ProbeWeight weight = ProbeWeight.CRITICAL;
    private String componentType = "component";
    private String measurement = "available";
    private boolean allowExternalInLiveness;

    private Builder(String name, int required, String... members) {
      this.name = Checks.name("group name", name);
      Objects.requireNonNull(members, "members");
      Set<String> unique = new LinkedHashSet<>();
      for (String member : members) {
        if (!unique.add(Objects.requireNonNull(member, "member"))) {
          throw new IllegalArgumentException(
              "group '" + name + "' lists member '" + member + "' more than once");
        }
      }
      if (unique.isEmpty()) {
        throw new IllegalArgumentException("group '" + name + "' must have at least one member");
      }
      if (required < 1 || required > unique.size()) {
        throw new IllegalArgumentException(
            "group '"
                + name
                + "': k must be in [1, "
                + unique.size()
                + "] (the number of members), but was "
                + required);
      }
      this.required = required;
      this.members = new ArrayList<>(unique);
    }

    public Builder kinds(ProbeKind... kinds) {
      Set<ProbeKind> set = EnumSet.noneOf(ProbeKind.class);
      for (ProbeKind kind : kinds) {
        set.add(Objects.requireNonNull(kind, "kind"));
      }
      this.kinds = set;
      return this;
    }

    public Builder weight(ProbeWeight weight) {
      this.weight = Objects.requireNonNull(weight, "weight");
      return this;
    }

    public Builder componentType(String componentType) {
      this.componentType = componentType;
      return this;
    }

    public Builder measurement(String measurement) {
      this.measurement = Checks.name("measurement", measurement);
      return this;
    }

    /** Allows the group in LIVENESS even if members check external dependencies. */
    public Builder allowExternalDependencyInLiveness() {
      this.allowExternalInLiveness = true;
      return this;
    }

    public ProbeGroup build() {
      return new ProbeGroup(this);
    }
  }
}
