package io.github.reliability4j.spring.retention;

import io.github.reliability4j.jdbc.retention.RetentionPlan;
import io.github.reliability4j.jdbc.retention.RetentionPolicy;
import io.github.reliability4j.jdbc.retention.RetentionRun;
import io.github.reliability4j.jdbc.retention.RetentionRunner;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * {@code /actuator/retention}: every configured policy with its settings and this instance's last
 * run; {@code /actuator/retention/{name}} runs a dry run of one policy (counts eligible rows,
 * changes nothing, takes no lease) and returns the plan. Expose it with {@code
 * management.endpoints.web.exposure.include=retention}.
 */
@Endpoint(id = "retention")
public class RetentionEndpoint {

  private final RetentionPolicies policies;

  public RetentionEndpoint(RetentionPolicies policies) {
    this.policies = policies;
  }

  @ReadOperation
  public Map<String, Object> policies() {
    Map<String, Object> all = new TreeMap<>();
    policies
        .getRunners()
        .forEach(
            (name, runner) -> {
              Map<String, Object> m = describe(runner.getPolicy());
              m.put("scheduled", policies.getScheduled().contains(name));
              m.put("lastRun", runner.getLastRun().map(RetentionEndpoint::run).orElse(null));
              all.put(name, m);
            });
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("policies", all);
    return body;
  }

  /** A dry run; null (404) for an unknown policy. */
  @ReadOperation
  public Map<String, Object> plan(@Selector String name) throws SQLException {
    RetentionRunner runner = policies.get(name).orElse(null);
    if (runner == null) {
      return null;
    }
    RetentionPlan plan = runner.plan();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("policy", plan.policy());
    m.put("dryRun", true);
    m.put("cut", plan.cut().toString());
    m.put("eligibleRows", plan.eligibleRows());
    m.put("estimatedBatches", plan.estimatedBatches());
    m.put("oldestEligibleAge", plan.oldestEligibleAge().map(Object::toString).orElse(null));
    return m;
  }

  private static Map<String, Object> describe(RetentionPolicy p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("table", p.getTable());
    m.put("ageColumn", p.getAgeColumn());
    m.put("maxAge", p.getMaxAge().toString());
    m.put("action", p.getAction().name());
    m.put("archiveTable", p.getArchiveTable().orElse(null));
    m.put("extraCondition", p.getExtraCondition().orElse(null));
    m.put("batchTimeBudget", p.getBatchTimeBudget().toString());
    return m;
  }

  private static Map<String, Object> run(RetentionRun r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("outcome", r.outcome().name());
    m.put("startedAt", r.startedAt().toString());
    m.put("duration", r.duration().toString());
    m.put("batches", r.batches());
    m.put("rowsArchived", r.rowsArchived());
    m.put("rowsDeleted", r.rowsDeleted());
    m.put("throttled", r.throttled().toString());
    m.put("maxBatchDuration", r.maxBatchDuration().toString());
    m.put("failure", r.getFailure().map(Throwable::getMessage).orElse(null));
    return m;
  }
}
