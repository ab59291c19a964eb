package io.github.reliability4j.spring.health;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.health.actuate.endpoint.AdditionalHealthEndpointPath;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper;
import org.springframework.boot.health.actuate.endpoint.StatusAggregator;

/**
 * Adds the per-kind reliability indicators to Actuator's {@code liveness}, {@code readiness} and
 * {@code startup} groups, keeping every existing member (e.g. Boot's {@code livenessState} and
 * {@code readinessState}); a missing group is created with the primary group's settings.
 */
final class ProbeKindHealthGroups implements HealthEndpointGroupsPostProcessor {

  static final Map<String, String> MEMBERS =
      Map.of(
          "liveness", "reliabilityLiveness",
          "readiness", "reliabilityReadiness",
          "startup", "reliabilityStartup");

  @Override
  public HealthEndpointGroups postProcessHealthEndpointGroups(HealthEndpointGroups groups) {
    Map<String, HealthEndpointGroup> result = new HashMap<>();
    Set<String> names = new LinkedHashSet<>(groups.getNames());
    names.addAll(MEMBERS.keySet());
    for (String name : names) {
      HealthEndpointGroup existing = groups.get(name);
      String extra = MEMBERS.get(name);
      if (extra == null) {
        result.put(name, existing);
      } else if (existing == null) {
        result.put(name, new Group(groups.getPrimary(), extra, false));
      } else {
        result.put(name, new Group(existing, extra, true));
      }
    }
    return HealthEndpointGroups.of(groups.getPrimary(), result);
  }

  private static final class Group implements HealthEndpointGroup {
    private final HealthEndpointGroup delegate;
    private final String extra;
    private final boolean keepMembers;

    Group(HealthEndpointGroup delegate, String extra, boolean keepMembers) {
      this.delegate = delegate;
      this.extra = extra;
      this.keepMembers = keepMembers;
    }

    @Override
    public boolean isMember(String name) {
      return extra.equals(name) || (keepMembers && delegate.isMember(name));
    }

    @Override
    public boolean showComponents(SecurityContext securityContext) {
      return delegate.showComponents(securityContext);
    }

    @Override
    public boolean showDetails(SecurityContext securityContext) {
      return delegate.showDetails(securityContext);
    }

    @Override
    public StatusAggregator getStatusAggregator() {
      return delegate.getStatusAggregator();
    }

    @Override
    public HttpCodeStatusMapper getHttpCodeStatusMapper() {
      return delegate.getHttpCodeStatusMapper();
    }

    @Override
    public AdditionalHealthEndpointPath getAdditionalPath() {
      return keepMembers ? delegate.getAdditionalPath() : null;
    }
  }
}
