package io.github.reliability4j.spring.retention;

import io.github.reliability4j.jdbc.retention.RetentionRunner;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The configured policies' runners, by policy name, and which of them are scheduled. Immutable. */
public final class RetentionPolicies {

  private final Map<String, RetentionRunner> runners;
  private final List<String> scheduled;

  RetentionPolicies(Map<String, RetentionRunner> runners, List<String> scheduled) {
    this.runners = Map.copyOf(runners);
    this.scheduled = List.copyOf(scheduled);
  }

  /** Every configured policy's runner, by name. */
  public Map<String, RetentionRunner> getRunners() {
    return runners;
  }

  public Optional<RetentionRunner> get(String name) {
    return Optional.ofNullable(runners.get(name));
  }

  /** Names of the policies that run on the schedule (enabled=true). */
  public List<String> getScheduled() {
    return scheduled;
  }

  List<RetentionRunner> scheduledRunners() {
    return scheduled.stream().map(runners::get).collect(Collectors.toList());
  }
}
