package io.github.reliability4j.jdbc.retention;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What to remove from one application table and how: the table, its primary key, the age column,
 * the maximum age, an optional extra condition and the action ({@link Action#DELETE} or {@link
 * Action#ARCHIVE_THEN_DELETE}), plus the batch and throttling settings a {@link RetentionRunner}
 * uses. Immutable and thread-safe; build with {@link #custom()}. Every setter validates at once;
 * {@link Builder#build()} checks the settings against each other. Whether the table and columns
 * exist is checked by the runner against the database ({@link RetentionRunner#validate()}).
 *
 * <p>A row is <em>eligible</em> when {@code ageColumn < now - maxAge} (now from the runner's clock,
 * fixed once per run) and, if set, the extra condition holds. The age column is either a SQL
 * timestamp ({@link AgeType#TIMESTAMP}) or a number of milliseconds since the epoch ({@link
 * AgeType#EPOCH_MILLIS}, e.g. a monotonically increasing time-ordered key).
 *
 * <p>Table and column names are checked against {@code [A-Za-z_][A-Za-z0-9_]*} (the table may be
 * schema-qualified) and written into SQL unquoted. The extra condition is a trusted SQL fragment
 * from the application's own configuration and is written into SQL as given, in parentheses; never
 * build it from user input.
 */
public final class RetentionPolicy {

  /** What happens to an eligible row. */
  public enum Action {
    /** Delete the row. */
    DELETE,
    /**
     * Copy the row into the archive table and delete it, in the same transaction: a row is never in
     * neither table nor in both.
     */
    ARCHIVE_THEN_DELETE
  }

  /** How the age column is stored. */
  public enum AgeType {
    /** A SQL {@code TIMESTAMP} (compared with a {@link java.sql.Timestamp} parameter). */
    TIMESTAMP,
    /** A number of milliseconds since the epoch ({@code BIGINT}). */
    EPOCH_MILLIS
  }

  public static final int DEFAULT_INITIAL_BATCH_SIZE = 500;
  public static final int DEFAULT_MIN_BATCH_SIZE = 10;
  public static final int DEFAULT_MAX_BATCH_SIZE = 5000;

  /** Keys of one batch are bound as parameters of an {@code IN} list; dialects cap their count. */
  public static final int MAX_BATCH_SIZE_LIMIT = 10_000;

  public static final Duration DEFAULT_BATCH_TIME_BUDGET = Duration.ofMillis(500);
  public static final Duration DEFAULT_PAUSE_BETWEEN_BATCHES = Duration.ofMillis(50);
  public static final Duration DEFAULT_MAX_REPLICA_LAG = Duration.ofSeconds(5);
  public static final Duration DEFAULT_THROTTLE_POLL_INTERVAL = Duration.ofMillis(200);
  public static final Duration DEFAULT_MAX_THROTTLE_TIME = Duration.ofMinutes(10);
  public static final Duration DEFAULT_LEASE_DURATION = Duration.ofMinutes(2);
  public static final Duration DEFAULT_MAX_RUN_DURATION = Duration.ofHours(1);
  public static final Duration DEFAULT_BACKLOG_SLACK = Duration.ofHours(1);

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern QUALIFIED =
      Pattern.compile("([A-Za-z_][A-Za-z0-9_]*\\.)?[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,100}");

  private final String name;
  private final String table;
  private final String primaryKey;
  private final String ageColumn;
  private final AgeType ageType;
  private final Duration maxAge;
  private final String extraCondition;
  private final Action action;
  private final String archiveTable;
  private final int initialBatchSize;
  private final int minBatchSize;
  private final int maxBatchSize;
  private final Duration batchTimeBudget;
  private final Duration pauseBetweenBatches;
  private final Duration maxReplicaLag;
  private final Duration throttlePollInterval;
  private final Duration maxThrottleTime;
  private final Duration leaseDuration;
  private final Duration maxRunDuration;
  private final Duration backlogSlack;
  private final boolean allowUnindexedAgeColumn;

  private RetentionPolicy(Builder b) {
    this.name = b.name;
    this.table = b.table;
    this.primaryKey = b.primaryKey;
    this.ageColumn = b.ageColumn;
    this.ageType = b.ageType;
    this.maxAge = b.maxAge;
    this.extraCondition = b.extraCondition;
    this.action = b.action;
    this.archiveTable = b.archiveTable;
    this.initialBatchSize = b.initialBatchSize;
    this.minBatchSize = b.minBatchSize;
    this.maxBatchSize = b.maxBatchSize;
    this.batchTimeBudget = b.batchTimeBudget;
    this.pauseBetweenBatches = b.pauseBetweenBatches;
    this.maxReplicaLag = b.maxReplicaLag;
    this.throttlePollInterval = b.throttlePollInterval;
    this.maxThrottleTime = b.maxThrottleTime;
    this.leaseDuration = b.leaseDuration;
    this.maxRunDuration = b.maxRunDuration;
    this.backlogSlack = b.backlogSlack;
    this.allowUnindexedAgeColumn = b.allowUnindexedAgeColumn;
  }

  public static Builder custom() {
    return new Builder();
  }

  /** A builder initialised from {@code base}. */
  public static Builder from(RetentionPolicy base) {
    Builder b = new Builder();
    b.name = base.name;
    b.table = base.table;
    b.primaryKey = base.primaryKey;
    b.ageColumn = base.ageColumn;
    b.ageType = base.ageType;
    b.maxAge = base.maxAge;
    b.extraCondition = base.extraCondition;
    b.action = base.action;
    b.archiveTable = base.archiveTable;
    b.initialBatchSize = base.initialBatchSize;
    b.minBatchSize = base.minBatchSize;
    b.maxBatchSize = base.maxBatchSize;
    b.batchTimeBudget = base.batchTimeBudget;
    b.pauseBetweenBatches = base.pauseBetweenBatches;
    b.maxReplicaLag = base.maxReplicaLag;
    b.throttlePollInterval = base.throttlePollInterval;
    b.maxThrottleTime = base.maxThrottleTime;
    b.leaseDuration = base.leaseDuration;
    b.maxRunDuration = base.maxRunDuration;
    b.backlogSlack = base.backlogSlack;
    b.allowUnindexedAgeColumn = base.allowUnindexedAgeColumn;
    return b;
  }

  /** The policy's name: the lease key, the metrics tag and the name in log lines. */
  public String getName() {
    return name;
  }

  public String getTable() {
    return table;
  }

  public String getPrimaryKey() {
    return primaryKey;
  }

  public String getAgeColumn() {
    return ageColumn;
  }

  public AgeType getAgeType() {
    return ageType;
  }

  public Duration getMaxAge() {
    return maxAge;
  }

  public Optional<String> getExtraCondition() {
    return Optional.ofNullable(extraCondition);
  }

  public Action getAction() {
    return action;
  }

  /** The archive table; present exactly when the action is {@link Action#ARCHIVE_THEN_DELETE}. */
  public Optional<String> getArchiveTable() {
    return Optional.ofNullable(archiveTable);
  }

  public int getInitialBatchSize() {
    return initialBatchSize;
  }

  public int getMinBatchSize() {
    return minBatchSize;
  }

  public int getMaxBatchSize() {
    return maxBatchSize;
  }

  /** The time one batch (its whole transaction) should stay under; the batch size adapts to it. */
  public Duration getBatchTimeBudget() {
    return batchTimeBudget;
  }

  /** Pause between batches when the runner has no replica lag view. */
  public Duration getPauseBetweenBatches() {
    return pauseBetweenBatches;
  }

  /** Replica lag beyond which the runner pauses before its next batch. */
  public Duration getMaxReplicaLag() {
    return maxReplicaLag;
  }

  /** How often a paused runner looks at the lag and readiness again. */
  public Duration getThrottlePollInterval() {
    return throttlePollInterval;
  }

  /** Longest continuous pause before a run gives up (outcome {@code THROTTLED}). */
  public Duration getMaxThrottleTime() {
    return maxThrottleTime;
  }

  /** How long the lease of a run is valid without renewal; every batch renews it. */
  public Duration getLeaseDuration() {
    return leaseDuration;
  }

  /** A run stops starting batches after this long (outcome {@code TIME_LIMIT}). */
  public Duration getMaxRunDuration() {
    return maxRunDuration;
  }

  /** How far behind retention may fall before the backlog probe warns. */
  public Duration getBacklogSlack() {
    return backlogSlack;
  }

  /** Whether an age column that leads no index is accepted (every batch may scan the table). */
  public boolean isAllowUnindexedAgeColumn() {
    return allowUnindexedAgeColumn;
  }

  @Override
  public String toString() {
    return "RetentionPolicy{name="
        + name
        + ", table="
        + table
        + ", ageColumn="
        + ageColumn
        + ", maxAge="
        + maxAge
        + ", action="
        + action
        + (archiveTable == null ? "" : ", archiveTable=" + archiveTable)
        + (extraCondition == null ? "" : ", extraCondition=" + extraCondition)
        + "}";
  }

  /** Builder; not thread-safe. */
  public static final class Builder {
    private String name;
    private String table;
    private String primaryKey = "id";
    private String ageColumn;
    private AgeType ageType = AgeType.TIMESTAMP;
    private Duration maxAge;
    private String extraCondition;
    private Action action = Action.DELETE;
    private String archiveTable;
    private int initialBatchSize = DEFAULT_INITIAL_BATCH_SIZE;
    private int minBatchSize = DEFAULT_MIN_BATCH_SIZE;
    private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
    private Duration batchTimeBudget = DEFAULT_BATCH_TIME_BUDGET;
    private Duration pauseBetweenBatches = DEFAULT_PAUSE_BETWEEN_BATCHES;
    private Duration maxReplicaLag = DEFAULT_MAX_REPLICA_LAG;
    private Duration throttlePollInterval = DEFAULT_THROTTLE_POLL_INTERVAL;
    private Duration maxThrottleTime = DEFAULT_MAX_THROTTLE_TIME;
    private Duration leaseDuration = DEFAULT_LEASE_DURATION;
    private Duration maxRunDuration = DEFAULT_MAX_RUN_DURATION;
    private Duration backlogSlack = DEFAULT_BACKLOG_SLACK;
    private boolean allowUnindexedAgeColumn;

    private Builder() {}

    /**
     * The policy's name (default: the table name).
     *
     * @throws IllegalArgumentException unless 1-100 characters of {@code [A-Za-z0-9_.:-]}
     */
    public Builder name(String name) {
      Objects.requireNonNull(name, "name");
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "name must be 1-100 characters of [A-Za-z0-9_.:-], but was '" + name + "'");
      }
      this.name = name;
      return this;
    }

    /**
     * The table to clean (required), optionally schema-qualified.
     *
     * @throws IllegalArgumentException if it is not a plain or schema-qualified identifier
     */
    public Builder table(String table) {
      this.table = qualified("table", table);
      return this;
    }

    /**
     * The table's single-column primary key (default {@code id}), used for keyset pagination.
     *
     * @throws IllegalArgumentException if it is not a plain identifier
     */
    public Builder primaryKey(String column) {
      this.primaryKey = identifier("primaryKey", column);
      return this;
    }

    /**
     * The age column (required), a SQL timestamp.
     *
     * @throws IllegalArgumentException if it is not a plain identifier
     */
    public Builder ageColumn(String column) {
      return ageColumn(column, AgeType.TIMESTAMP);
    }

    /**
     * The age column (required) and how it is stored.
     *
     * @throws IllegalArgumentException if it is not a plain identifier
     */
    public Builder ageColumn(String column, AgeType type) {
      this.ageColumn = identifier("ageColumn", column);
      this.ageType = Objects.requireNonNull(type, "type");
      return this;
    }

    /**
     * Rows older than this are eligible (required).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxAge(Duration maxAge) {
      this.maxAge = positive("maxAge", maxAge);
      return this;
    }

    /**
     * An extra SQL condition every eligible row must also meet, e.g. {@code status = 'COMPLETED'};
     * a trusted fragment, never user input.
     *
     * @throws IllegalArgumentException if blank or containing {@code ;} or a SQL comment
     */
    public Builder extraCondition(String condition) {
      Objects.requireNonNull(condition, "condition");
      if (condition.isBlank()
          || condition.contains(";")
          || condition.contains("--")
          || condition.contains("/*")) {
        throw new IllegalArgumentException(
            "extraCondition must be one non-blank SQL condition without ';' or comments, but was '"
                + condition
                + "'");
      }
      this.extraCondition = condition.strip();
      return this;
    }

    /** Deletes eligible rows (the default). */
    public Builder delete() {
      this.action = Action.DELETE;
      this.archiveTable = null;
      return this;
    }

    /**
     * Copies eligible rows into {@code archiveTable}, then deletes them, in one transaction per
     * batch. The archive table must have every column of the table, under the same names.
     *
     * @throws IllegalArgumentException if it is not a plain or schema-qualified identifier
     */
    public Builder archiveThenDelete(String archiveTable) {
      this.archiveTable = qualified("archiveTable", archiveTable);
      this.action = Action.ARCHIVE_THEN_DELETE;
      return this;
    }

    /**
     * Size of the first batch of a run (default {@value #DEFAULT_INITIAL_BATCH_SIZE}).
     *
     * @throws IllegalArgumentException unless 1 to {@value #MAX_BATCH_SIZE_LIMIT}
     */
    public Builder initialBatchSize(int size) {
      this.initialBatchSize = batchSize("initialBatchSize", size);
      return this;
    }

    /**
     * Smallest batch the adaptive sizing goes down to (default {@value #DEFAULT_MIN_BATCH_SIZE}).
     *
     * @throws IllegalArgumentException unless 1 to {@value #MAX_BATCH_SIZE_LIMIT}
     */
    public Builder minBatchSize(int size) {
      this.minBatchSize = batchSize("minBatchSize", size);
      return this;
    }

    /**
     * Largest batch the adaptive sizing goes up to (default {@value #DEFAULT_MAX_BATCH_SIZE}).
     *
     * @throws IllegalArgumentException unless 1 to {@value #MAX_BATCH_SIZE_LIMIT}
     */
    public Builder maxBatchSize(int size) {
      this.maxBatchSize = batchSize("maxBatchSize", size);
      return this;
    }

    /** Sets initial, minimum and maximum batch size to {@code size}: no adaptation. */
    public Builder fixedBatchSize(int size) {
      initialBatchSize(size);
      minBatchSize(size);
      return maxBatchSize(size);
    }

    /**
     * The time one batch should stay under (default 500 ms).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder batchTimeBudget(Duration budget) {
      this.batchTimeBudget = positive("batchTimeBudget", budget);
      return this;
    }

    /**
     * Pause between batches when the runner has no replica lag view (default 50 ms).
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder pauseBetweenBatches(Duration pause) {
      this.pauseBetweenBatches = notNegative("pauseBetweenBatches", pause);
      return this;
    }

    /**
     * Replica lag beyond which the runner pauses (default 5 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxReplicaLag(Duration lag) {
      this.maxReplicaLag = positive("maxReplicaLag", lag);
      return this;
    }

    /**
     * How often a paused runner checks again (default 200 ms).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder throttlePollInterval(Duration interval) {
      this.throttlePollInterval = positive("throttlePollInterval", interval);
      return this;
    }

    /**
     * Longest continuous pause before the run gives up (default 10 min).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxThrottleTime(Duration max) {
      this.maxThrottleTime = positive("maxThrottleTime", max);
      return this;
    }

    /**
     * Validity of a run's lease without renewal (default 2 min). It must exceed the batch time
     * budget and the throttle poll interval, which {@link #build()} checks.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder leaseDuration(Duration lease) {
      this.leaseDuration = positive("leaseDuration", lease);
      return this;
    }

    /**
     * A run starts no batch after this long (default 1 h).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxRunDuration(Duration max) {
      this.maxRunDuration = positive("maxRunDuration", max);
      return this;
    }

    /**
     * How far behind retention may fall before the backlog probe warns (default 1 h).
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder backlogSlack(Duration slack) {
      this.backlogSlack = notNegative("backlogSlack", slack);
      return this;
    }

    /** Accepts an age column that leads no index; every batch may then scan the table. */
    public Builder allowUnindexedAgeColumn(boolean allow) {
      this.allowUnindexedAgeColumn = allow;
      return this;
    }

    /**
     * Builds the policy.
     *
     * @throws IllegalStateException if table, ageColumn or maxAge is missing, the batch sizes are
     *     not ordered min &lt;= initial &lt;= max, the archive table is the table itself, or the
     *     lease is shorter than twice the batch budget or twice the throttle poll interval
     */
    public RetentionPolicy build() {
      if (table == null) {
        throw new IllegalStateException("table must be set");
      }
      if (ageColumn == null) {
        throw new IllegalStateException("ageColumn must be set for table " + table);
      }
      if (maxAge == null) {
        throw new IllegalStateException("maxAge must be set for table " + table);
      }
      if (minBatchSize > initialBatchSize || initialBatchSize > maxBatchSize) {
        throw new IllegalStateException(
            "batch sizes must satisfy minBatchSize <= initialBatchSize <= maxBatchSize, but were "
                + minBatchSize
                + ", "
                + initialBatchSize
                + ", "
                + maxBatchSize);
      }
      if (archiveTable != null && archiveTable.equalsIgnoreCase(table)) {
        throw new IllegalStateException(
            "archiveTable must differ from table, but both were " + table);
      }
      if (leaseDuration.compareTo(batchTimeBudget.multipliedBy(2)) < 0
          || leaseDuration.compareTo(throttlePollInterval.multipliedBy(2)) < 0) {
        throw new IllegalStateException(
            "leaseDuration ("
                + leaseDuration
                + ") must be at least twice batchTimeBudget ("
                + batchTimeBudget
                + ") and twice throttlePollInterval ("
                + throttlePollInterval
                + ")");
      }
      if (name == null) {
        name = table;
      }
      return new RetentionPolicy(this);
    }

    private static String identifier(String setting, String value) {
      Objects.requireNonNull(value, setting);
      if (!IDENTIFIER.matcher(value).matches()) {
        throw new IllegalArgumentException(
            setting + " must match [A-Za-z_][A-Za-z0-9_]*, but was '" + value + "'");
      }
      return value;
    }

    private static String qualified(String setting, String value) {
      Objects.requireNonNull(value, setting);
      if (!QUALIFIED.matcher(value).matches()) {
        throw new IllegalArgumentException(
            setting
                + " must be a plain or schema-qualified identifier ([schema.]name), but was '"
                + value
                + "'");
      }
      return value;
    }

    private static int batchSize(String setting, int size) {
      if (size < 1 || size > MAX_BATCH_SIZE_LIMIT) {
        throw new IllegalArgumentException(
            setting + " must be between 1 and " + MAX_BATCH_SIZE_LIMIT + ", but was " + size);
      }
      return size;
    }

    private static Duration positive(String setting, Duration d) {
      Objects.requireNonNull(d, setting);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(setting + " must be positive, but was " + d);
      }
      return d;
    }

    private static Duration notNegative(String setting, Duration d) {
      Objects.requireNonNull(d, setting);
      if (d.isNegative()) {
        throw new IllegalArgumentException(setting + " must not be negative, but was " + d);
      }
      return d;
    }
  }
}
