package io.github.reliability4j.jdbc.idempotency;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Settings of a {@link JdbcIdempotencyStore}. Immutable and thread-safe; build with {@link
 * #custom()} or take {@link #ofDefaults()}. Every setter validates at once.
 */
public final class JdbcIdempotencyStoreConfig {

  public static final String DEFAULT_TABLE_NAME = "reliability_idempotency";

  /**
   * Longest accepted table name. Index names are derived from it by a suffix, and PostgreSQL cuts
   * identifiers at 63 bytes.
   */
  public static final int MAX_TABLE_NAME_LENGTH = 48;

  public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
  public static final int DEFAULT_MAX_METADATA_BYTES = 16 * 1024;

  /** MariaDB/MySQL {@code BLOB} holds at most 65,535 bytes: the encoded metadata must fit. */
  public static final int MAX_METADATA_BYTES_LIMIT = 60 * 1024;

  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(5);
  public static final int DEFAULT_PURGE_BATCH_SIZE = 1000;
  public static final int DEFAULT_PURGE_MAX_BATCHES = 100;

  private static final Pattern PLAIN_IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern SCHEMA_QUALIFIED =
      Pattern.compile("([A-Za-z_][A-Za-z0-9_]*\\.)?[A-Za-z_][A-Za-z0-9_]*");

  private final String tableName;
  private final Clock clock;
  private final Duration queryTimeout;
  private final int maxBodyBytes;
  private final int maxMetadataBytes;
  private final int purgeBatchSize;
  private final int purgeMaxBatches;
  private final boolean initializeSchema;
  private final boolean partitionedByDay;
  private final int partitionsAhead;
  private final boolean durableClaims;

  private JdbcIdempotencyStoreConfig(Builder b) {
    this.tableName = b.tableName;
    this.clock = b.clock;
    this.queryTimeout = b.queryTimeout;
    this.maxBodyBytes = b.maxBodyBytes;
    this.maxMetadataBytes = b.maxMetadataBytes;
    this.purgeBatchSize = b.purgeBatchSize;
    this.purgeMaxBatches = b.purgeMaxBatches;
    this.initializeSchema = b.initializeSchema;
    this.partitionedByDay = b.partitionedByDay;
    this.partitionsAhead = b.partitionsAhead;
    this.durableClaims = b.durableClaims;
  }

  public static JdbcIdempotencyStoreConfig ofDefaults() {
    return custom().build();
  }

  public static Builder custom() {
    return new Builder();
  }

  /** A builder holding the values of {@code base}. */
  public static Builder from(JdbcIdempotencyStoreConfig base) {
    Builder b = new Builder();
    b.tableName = base.tableName;
    b.clock = base.clock;
    b.queryTimeout = base.queryTimeout;
    b.maxBodyBytes = base.maxBodyBytes;
    b.maxMetadataBytes = base.maxMetadataBytes;
    b.purgeBatchSize = base.purgeBatchSize;
    b.purgeMaxBatches = base.purgeMaxBatches;
    b.initializeSchema = base.initializeSchema;
    b.partitionedByDay = base.partitionedByDay;
    b.partitionsAhead = base.partitionsAhead;
    b.durableClaims = base.durableClaims;
    return b;
  }

  /** Table name, possibly schema-qualified ({@code schema.table}); a plain SQL identifier. */
  public String getTableName() {
    return tableName;
  }

  public Clock getClock() {
    return clock;
  }

  public Duration getQueryTimeout() {
    return queryTimeout;
  }

  /**
   * Whether PostgreSQL claims wait for their commit record to be flushed (default false: a claim
   * commits with {@code synchronous_commit = off}; see {@link Builder#durableClaims}).
   */
  public boolean isDurableClaims() {
    return durableClaims;
  }

  public int getMaxBodyBytes() {
    return maxBodyBytes;
  }

  public int getMaxMetadataBytes() {
    return maxMetadataBytes;
  }

  public int getPurgeBatchSize() {
    return purgeBatchSize;
  }

  public int getPurgeMaxBatches() {
    return purgeMaxBatches;
  }

  public boolean isInitializeSchema() {
    return initializeSchema;
  }

  /** Whether the table uses the PostgreSQL partition-per-day layout. */
  public boolean isPartitionedByDay() {
    return partitionedByDay;
  }

  /** Day partitions kept created ahead of today (partitioned layout only). */
  public int getPartitionsAhead() {
    return partitionsAhead;
  }

  /**
   * Checks that {@code name} is a plain, unquoted SQL identifier, optionally qualified by one
   * schema name: letters, digits and underscores, not starting with a digit, at most {@link
   * #MAX_TABLE_NAME_LENGTH} characters per part. The name is concatenated into SQL, so nothing else
   * may pass.
   *
   * @throws IllegalArgumentException if it is not
   */
  static String requireTableName(String name) {
    Objects.requireNonNull(name, "tableName");
    if (!SCHEMA_QUALIFIED.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "tableName must be a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, optionally"
              + " schema-qualified as schema.table), but was '"
              + name
              + "'");
    }
    for (String part : name.split("\\.")) {
      if (!PLAIN_IDENTIFIER.matcher(part).matches() || part.length() > MAX_TABLE_NAME_LENGTH) {
        throw new IllegalArgumentException(
            "tableName parts must be at most "
                + MAX_TABLE_NAME_LENGTH
                + " characters, but '"
                + part
                + "' has "
                + part.length());
      }
    }
    return name;
  }

  /** The unqualified part of the table name, used to derive index names. */
  String unqualifiedTableName() {
    int dot = tableName.indexOf('.');
    return dot < 0 ? tableName : tableName.substring(dot + 1);
  }

  @Override
  public String toString() {
    return "JdbcIdempotencyStoreConfig[tableName="
        + tableName
        + ", queryTimeout="
        + queryTimeout
        + ", maxBodyBytes="
        + maxBodyBytes
        + ", maxMetadataBytes="
        + maxMetadataBytes
        + ", purgeBatchSize="
        + purgeBatchSize
        + ", purgeMaxBatches="
        + purgeMaxBatches
        + ", initializeSchema="
        + initializeSchema
        + ", partitionedByDay="
        + partitionedByDay
        + "]";
  }

  /** Builder; not thread-safe. */
  public static final class Builder {
    private String tableName = DEFAULT_TABLE_NAME;
    private Clock clock = Clock.systemUTC();
    private Duration queryTimeout = DEFAULT_QUERY_TIMEOUT;
    private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private int maxMetadataBytes = DEFAULT_MAX_METADATA_BYTES;
    private int purgeBatchSize = DEFAULT_PURGE_BATCH_SIZE;
    private int purgeMaxBatches = DEFAULT_PURGE_MAX_BATCHES;
    private boolean initializeSchema;
    private boolean partitionedByDay;
    private int partitionsAhead = 3;
    private boolean durableClaims;

    private Builder() {}

    /**
     * Table holding the records (default {@value #DEFAULT_TABLE_NAME}).
     *
     * @throws IllegalArgumentException if it is not a plain SQL identifier (see {@link
     *     JdbcIdempotencyStoreConfig#getTableName()})
     */
    public Builder tableName(String tableName) {
      this.tableName = requireTableName(tableName);
      return this;
    }

    /**
     * Clock deciding lease and retention expiry (default {@link Clock#systemUTC()}). All instances
     * sharing a table must have synchronized clocks; leases are only as accurate as their skew.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * JDBC query timeout of every statement (default 5 s), rounded up to whole seconds; {@link
     * Duration#ZERO} disables it. A timed-out statement fails like an unreachable database.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder queryTimeout(Duration queryTimeout) {
      Objects.requireNonNull(queryTimeout, "queryTimeout");
      if (queryTimeout.isNegative()) {
        throw new IllegalArgumentException(
            "queryTimeout must be zero or positive, but was " + queryTimeout);
      }
      this.queryTimeout = queryTimeout;
      return this;
    }

    /**
     * Largest stored body in bytes (default 1 MiB); a larger outcome is refused before anything is
     * written.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder maxBodyBytes(int maxBodyBytes) {
      if (maxBodyBytes < 0) {
        throw new IllegalArgumentException(
            "maxBodyBytes must be zero or positive, but was " + maxBodyBytes);
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /**
     * Largest encoded metadata in bytes (default 16 KiB, at most {@value
     * #MAX_METADATA_BYTES_LIMIT}); a larger outcome is refused before anything is written.
     *
     * @throws IllegalArgumentException if outside 0..{@value #MAX_METADATA_BYTES_LIMIT}
     */
    public Builder maxMetadataBytes(int maxMetadataBytes) {
      if (maxMetadataBytes < 0 || maxMetadataBytes > MAX_METADATA_BYTES_LIMIT) {
        throw new IllegalArgumentException(
            "maxMetadataBytes must be in 0.."
                + MAX_METADATA_BYTES_LIMIT
                + ", but was "
                + maxMetadataBytes);
      }
      this.maxMetadataBytes = maxMetadataBytes;
      return this;
    }

    /**
     * Rows deleted per purge statement (default 1000): each batch is its own short transaction.
     *
     * @throws IllegalArgumentException if outside 1..100000
     */
    public Builder purgeBatchSize(int purgeBatchSize) {
      if (purgeBatchSize < 1 || purgeBatchSize > 100_000) {
        throw new IllegalArgumentException(
            "purgeBatchSize must be in 1..100000, but was " + purgeBatchSize);
      }
      this.purgeBatchSize = purgeBatchSize;
      return this;
    }

    /**
     * Most batches one {@link JdbcIdempotencyStore#purgeExpired()} call runs (default 100), so one
     * call is bounded even with a large backlog; the scheduler catches up on later runs.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder purgeMaxBatches(int purgeMaxBatches) {
      if (purgeMaxBatches < 1) {
        throw new IllegalArgumentException(
            "purgeMaxBatches must be at least 1, but was " + purgeMaxBatches);
      }
      this.purgeMaxBatches = purgeMaxBatches;
      return this;
    }

    /**
     * Whether {@link JdbcIdempotencyStore#create} runs the dialect's DDL resource ({@code CREATE
     * TABLE IF NOT EXISTS ...}) before use (default false: apply the DDL with your migration tool).
     */
    public Builder initializeSchema(boolean initializeSchema) {
      this.initializeSchema = initializeSchema;
      return this;
    }

    /**
     * Use the PostgreSQL partition-per-day layout ({@link
     * JdbcIdempotencySchema#POSTGRESQL_PARTITIONED}, default false): claims go through the layout's
     * claim function, and {@link JdbcIdempotencyStore#maintainPartitions()} creates upcoming days
     * and drops expired ones instead of deleting rows. Only for PostgreSQL 11+; the store fails on
     * first contact with another database.
     */
    public Builder partitionedByDay(boolean partitionedByDay) {
      this.partitionedByDay = partitionedByDay;
      return this;
    }

    /**
     * Day partitions {@link JdbcIdempotencyStore#maintainPartitions()} keeps created beyond today
     * (default 3), so a missed maintenance run does not stop claims.
     *
     * @throws IllegalArgumentException if outside 1..60
     */
    public Builder partitionsAhead(int partitionsAhead) {
      if (partitionsAhead < 1 || partitionsAhead > 60) {
        throw new IllegalArgumentException(
            "partitionsAhead must be in 1..60, but was " + partitionsAhead);
      }
      this.partitionsAhead = partitionsAhead;
      return this;
    }

    /**
     * PostgreSQL only: whether a claim's commit waits for its WAL to be flushed (default false).
     *
     * <p>By default the claim statement sets {@code synchronous_commit = off} for its own
     * transaction only ({@code set_config(..., true)} inside the statement: no extra round trip,
     * nothing leaks into the pooled session), so the claim returns without waiting for a disk
     * flush; completions, releases and renewals stay as durable as the server is configured. Why
     * this is safe: a claim whose commit record is lost in a database crash (at most about three
     * {@code wal_writer_delay}s of them, 600 ms by default) is exactly as if its lease had expired
     * at the crash. Its owner's completion then finds no row and reports the lease lost, and the
     * next request with the key runs the action again: what already happens when a lease expires
     * while its action runs, and no worse than a durable claim through the same crash, whose owner
     * cannot store its outcome while the database is down either, so the key runs again once its
     * lease has expired. No completed record and no answer already replayed are affected. Set
     * {@code true} to commit claims durably anyway (e.g. if a lost claim must never let a retry
     * overlap a still-running owner).
     */
    public Builder durableClaims(boolean durableClaims) {
      this.durableClaims = durableClaims;
      return this;
    }

    public JdbcIdempotencyStoreConfig build() {
      return new JdbcIdempotencyStoreConfig(this);
    }
  }
}
