package io.github.reliability4j.spring.retention;

import io.github.reliability4j.jdbc.retention.RetentionPolicy;
import io.github.reliability4j.jdbc.retention.RetentionRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code reliability.retention.*}: retention policies for the application's own tables. A policy
 * declared here is listed by the {@code retention} Actuator endpoint (which can dry-run it) but is
 * scheduled only when its own {@code enabled} is true: deleting is opt-in per policy.
 */
@ConfigurationProperties(prefix = "reliability.retention")
public class RetentionProperties {

  /** Whether retention is auto-configured at all. */
  private boolean enabled = true;

  /** How often the enabled policies run (each tick runs them one after the other). */
  private Duration interval = Duration.ofMinutes(10);

  /** The lease table (one row per policy: one runner per policy across instances). */
  private String leaseTable = RetentionRunner.DEFAULT_LEASE_TABLE;

  /** The policies. */
  private List<Policy> policies = new ArrayList<>();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public Duration getInterval() {
    return interval;
  }

  public void setInterval(Duration interval) {
    this.interval = interval;
  }

  public String getLeaseTable() {
    return leaseTable;
  }

  public void setLeaseTable(String leaseTable) {
    this.leaseTable = leaseTable;
  }

  public List<Policy> getPolicies() {
    return policies;
  }

  public void setPolicies(List<Policy> policies) {
    this.policies = policies;
  }

  /** One policy; see {@link RetentionPolicy} for each setting's meaning and range. */
  public static class Policy {

    /** Run this policy on the schedule (off by default: a declared policy only dry-runs). */
    private boolean enabled;

    /** The policy's name (lease key, metrics tag); defaults to the table name. */
    private String name;

    /** The table to clean, optionally schema-qualified. */
    private String table;

    /** The table's single-column primary key. */
    private String primaryKey = "id";

    /** The age column. */
    private String ageColumn;

    /** How the age column is stored: TIMESTAMP or EPOCH_MILLIS. */
    private RetentionPolicy.AgeType ageType = RetentionPolicy.AgeType.TIMESTAMP;

    /** Rows older than this are eligible. */
    private Duration maxAge;

    /** Extra SQL condition every eligible row must meet, e.g. status = 'COMPLETED'. */
    private String extraCondition;

    /** DELETE or ARCHIVE_THEN_DELETE. */
    private RetentionPolicy.Action action = RetentionPolicy.Action.DELETE;

    /** The archive table (required for ARCHIVE_THEN_DELETE). */
    private String archiveTable;

    private int initialBatchSize = RetentionPolicy.DEFAULT_INITIAL_BATCH_SIZE;
    private int minBatchSize = RetentionPolicy.DEFAULT_MIN_BATCH_SIZE;
    private int maxBatchSize = RetentionPolicy.DEFAULT_MAX_BATCH_SIZE;

    /** The time one batch should stay under; the batch size adapts to it. */
    private Duration batchTimeBudget = RetentionPolicy.DEFAULT_BATCH_TIME_BUDGET;

    /** Pause between batches without a routing DataSource. */
    private Duration pauseBetweenBatches = RetentionPolicy.DEFAULT_PAUSE_BETWEEN_BATCHES;

    /** Replica lag beyond which the runner pauses. */
    private Duration maxReplicaLag = RetentionPolicy.DEFAULT_MAX_REPLICA_LAG;

    /** Longest continuous pause before a run gives up until the next tick. */
    private Duration maxThrottleTime = RetentionPolicy.DEFAULT_MAX_THROTTLE_TIME;

    /** Validity of a run's lease without renewal. */
    private Duration leaseDuration = RetentionPolicy.DEFAULT_LEASE_DURATION;

    /** A run starts no batch after this long. */
    private Duration maxRunDuration = RetentionPolicy.DEFAULT_MAX_RUN_DURATION;

    /** How far behind retention may fall before the backlog probe warns. */
    private Duration backlogSlack = RetentionPolicy.DEFAULT_BACKLOG_SLACK;

    /** Accept an age column that leads no index (every batch may scan the table). */
    private boolean allowUnindexedAgeColumn;

    /** Builds the policy; the builder's validation messages name the setting. */
    RetentionPolicy toPolicy() {
      RetentionPolicy.Builder b = RetentionPolicy.custom();
      if (table != null) {
        b.table(table);
      }
      if (name != null) {
        b.name(name);
      }
      b.primaryKey(primaryKey);
      if (ageColumn != null) {
        b.ageColumn(ageColumn, ageType);
      }
      if (maxAge != null) {
        b.maxAge(maxAge);
      }
      if (extraCondition != null) {
        b.extraCondition(extraCondition);
      }
      if (action == RetentionPolicy.Action.ARCHIVE_THEN_DELETE) {
        if (archiveTable == null) {
          throw new IllegalStateException(
              "archive-table must be set for action ARCHIVE_THEN_DELETE (table " + table + ")");
        }
        b.archiveThenDelete(archiveTable);
      }
      return b.minBatchSize(minBatchSize)
          .maxBatchSize(maxBatchSize)
          .initialBatchSize(initialBatchSize)
          .batchTimeBudget(batchTimeBudget)
          .pauseBetweenBatches(pauseBetweenBatches)
          .maxReplicaLag(maxReplicaLag)
          .maxThrottleTime(maxThrottleTime)
          .leaseDuration(leaseDuration)
          .maxRunDuration(maxRunDuration)
          .backlogSlack(backlogSlack)
          .allowUnindexedAgeColumn(allowUnindexedAgeColumn)
          .build();
    }

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getTable() {
      return table;
    }

    public void setTable(String table) {
      this.table = table;
    }

    public String getPrimaryKey() {
      return primaryKey;
    }

    public void setPrimaryKey(String primaryKey) {
      this.primaryKey = primaryKey;
    }

    public String getAgeColumn() {
      return ageColumn;
    }

    public void setAgeColumn(String ageColumn) {
      this.ageColumn = ageColumn;
    }

    public RetentionPolicy.AgeType getAgeType() {
      return ageType;
    }

    public void setAgeType(RetentionPolicy.AgeType ageType) {
      this.ageType = ageType;
    }

    public Duration getMaxAge() {
      return maxAge;
    }

    public void setMaxAge(Duration maxAge) {
      this.maxAge = maxAge;
    }

    public String getExtraCondition() {
      return extraCondition;
    }

    public void setExtraCondition(String extraCondition) {
      this.extraCondition = extraCondition;
    }

    public RetentionPolicy.Action getAction() {
      return action;
    }

    public void setAction(RetentionPolicy.Action action) {
      this.action = action;
    }

    public String getArchiveTable() {
      return archiveTable;
    }

    public void setArchiveTable(String archiveTable) {
      this.archiveTable = archiveTable;
    }

    public int getInitialBatchSize() {
      return initialBatchSize;
    }

    public void setInitialBatchSize(int initialBatchSize) {
      this.initialBatchSize = initialBatchSize;
    }

    public int getMinBatchSize() {
      return minBatchSize;
    }

    public void setMinBatchSize(int minBatchSize) {
      this.minBatchSize = minBatchSize;
    }

    public int getMaxBatchSize() {
      return maxBatchSize;
    }

    public void setMaxBatchSize(int maxBatchSize) {
      this.maxBatchSize = maxBatchSize;
    }

    public Duration getBatchTimeBudget() {
      return batchTimeBudget;
    }

    public void setBatchTimeBudget(Duration batchTimeBudget) {
      this.batchTimeBudget = batchTimeBudget;
    }

    public Duration getPauseBetweenBatches() {
      return pauseBetweenBatches;
    }

    public void setPauseBetweenBatches(Duration pauseBetweenBatches) {
      this.pauseBetweenBatches = pauseBetweenBatches;
    }

    public Duration getMaxReplicaLag() {
      return maxReplicaLag;
    }

    public void setMaxReplicaLag(Duration maxReplicaLag) {
      this.maxReplicaLag = maxReplicaLag;
    }

    public Duration getMaxThrottleTime() {
      return maxThrottleTime;
    }

    public void setMaxThrottleTime(Duration maxThrottleTime) {
      this.maxThrottleTime = maxThrottleTime;
    }

    public Duration getLeaseDuration() {
      return leaseDuration;
    }

    public void setLeaseDuration(Duration leaseDuration) {
      this.leaseDuration = leaseDuration;
    }

    public Duration getMaxRunDuration() {
      return maxRunDuration;
    }

    public void setMaxRunDuration(Duration maxRunDuration) {
      this.maxRunDuration = maxRunDuration;
    }

    public Duration getBacklogSlack() {
      return backlogSlack;
    }

    public void setBacklogSlack(Duration backlogSlack) {
      this.backlogSlack = backlogSlack;
    }

    public boolean isAllowUnindexedAgeColumn() {
      return allowUnindexedAgeColumn;
    }

    public void setAllowUnindexedAgeColumn(boolean allowUnindexedAgeColumn) {
      this.allowUnindexedAgeColumn = allowUnindexedAgeColumn;
    }
  }
}
