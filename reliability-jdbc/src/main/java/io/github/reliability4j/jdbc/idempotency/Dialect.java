package io.github.reliability4j.jdbc.idempotency;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The SQL of one database product. Each product has its own small subclass holding its claim and
 * purge statements next to the description of how they work ({@link PostgresDialect}, {@link
 * PostgresPartitionedDialect}, {@link MariaDbDialect}, {@link MySqlDialect}, {@link H2Dialect});
 * the statements every product shares (complete, release, renew, find, ping) are standard SQL and
 * live here. The overall algorithm is described on {@link JdbcIdempotencyStore}; the two row
 * formats on {@link RowFormat}.
 *
 * <p>Instances are immutable (every field is final and set by the constructor, the query timeout
 * and the row format included) and thread-safe; statements are prepared per call on the caller's
 * connection.
 */
abstract class Dialect {

  static final List<String> SUPPORTED = List.of("PostgreSQL", "MariaDB", "MySQL", "H2");

  private static final HexFormat HEX = HexFormat.of();

  /** Columns every statement reads back, in this order. */
  static final String RETURNED =
      "state, owner_token, fingerprint, created_at, expires_at, result_code, metadata, body,"
          + " took_over";

  final String table;
  final RowFormat format;

  /** Columns a claim inserts, in the order {@link #bindInsert} binds them. */
  final String inserted;

  /** {@code ?} placeholders for {@link #inserted}, comma-separated. */
  final String insertedParams;

  private final String name;
  private final String schemaResource;
  private final int queryTimeoutSeconds;
  private final String findSql;
  private final String completeSql;
  private final String releaseSql;
  private final String deleteOwnedSql;
  private final String renewSql;
  private final String pingSql;

  /**
   * @param queryTimeoutSeconds JDBC query timeout applied to every statement; 0 means none
   */
  Dialect(
      String name, String schemaResource, String table, int queryTimeoutSeconds, RowFormat format) {
    if (queryTimeoutSeconds < 0) {
      throw new IllegalArgumentException(
          "queryTimeoutSeconds must be zero or positive, but was " + queryTimeoutSeconds);
    }
    this.name = name;
    this.schemaResource = schemaResource;
    this.table = table;
    this.format = format;
    this.queryTimeoutSeconds = queryTimeoutSeconds;
    boolean v2 = format == RowFormat.V2_BINARY;
    this.inserted =
        "key_hash, scope, operation, client_key, state, owner_token, fingerprint, created_at,"
            + " expires_at"
            + (v2 ? ", purge_at" : "");
    this.insertedParams = v2 ? "?, ?, ?, ?, ?, ?, ?, ?, ?, ?" : "?, ?, ?, ?, ?, ?, ?, ?, ?";
    this.findSql = "SELECT " + RETURNED + " FROM " + table + " WHERE key_hash = ?";
    // V2: the purge key only ever grows, and GREATEST leaves it unchanged when the claim's value
    // already covers the new expiry, so the update touches no indexed column (HOT on PostgreSQL).
    this.completeSql =
        "UPDATE "
            + table
            + " SET state = 'C', expires_at = ?, "
            + (v2 ? "purge_at = GREATEST(purge_at, ?), " : "")
            + "result_code = ?, metadata = ?, body = ?"
            + " WHERE key_hash = ? AND owner_token = ? AND state = 'P' AND expires_at > ?";
    this.releaseSql =
        "DELETE FROM "
            + table
            + " WHERE key_hash = ? AND owner_token = ? AND state = 'P' AND expires_at > ?";
    this.deleteOwnedSql = "DELETE FROM " + table + " WHERE key_hash = ? AND owner_token = ?";
    this.renewSql =
        "UPDATE "
            + table
            + " SET expires_at = ?"
            + (v2 ? ", purge_at = GREATEST(purge_at, ?)" : "")
            + " WHERE key_hash = ? AND owner_token = ? AND state = 'P' AND expires_at > ?";
    this.pingSql = "SELECT 1 FROM " + table + " WHERE key_hash = ?";
  }

  /**
   * Chooses the dialect from {@link DatabaseMetaData#getDatabaseProductName()}; MySQL Connector/J
   * reports "MySQL" for a MariaDB server too, so the version string decides between them. The
   * partition-per-day layout always uses {@link RowFormat#V1_HEX}.
   *
   * @throws UnsupportedDatabaseException if the product has no dialect
   * @throws IllegalStateException if {@code partitionedByDay} is set on a database other than
   *     PostgreSQL
   */
  static Dialect detect(
      String productName,
      String productVersion,
      String table,
      boolean partitionedByDay,
      int queryTimeoutSeconds,
      RowFormat format,
      boolean asyncClaimCommit) {
    String product = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
    String version = productVersion == null ? "" : productVersion.toLowerCase(Locale.ROOT);
    Dialect d;
    if (product.contains("postgresql")) {
      d =
          partitionedByDay
              ? new PostgresPartitionedDialect(table, queryTimeoutSeconds)
              : new PostgresDialect(table, queryTimeoutSeconds, format, asyncClaimCommit);
    } else if (product.contains("mariadb")
        || (product.contains("mysql") && version.contains("mariadb"))) {
      d = new MariaDbDialect(table, queryTimeoutSeconds, format);
    } else if (product.contains("mysql")) {
      d = new MySqlDialect(table, queryTimeoutSeconds, format);
    } else if (product.equals("h2")) {
      d = new H2Dialect(table, queryTimeoutSeconds, format);
    } else {
      throw new UnsupportedDatabaseException(productName, productVersion, SUPPORTED);
    }
    if (partitionedByDay && !(d instanceof PostgresDialect)) {
      throw new IllegalStateException(
          "partitionedByDay requires PostgreSQL 11+, but the database is " + d.name());
    }
    return d;
  }

  static Dialect detect(
      String productName,
      String productVersion,
      String table,
      boolean partitionedByDay,
      int queryTimeoutSeconds) {
    return detect(
        productName,
        productVersion,
        table,
        partitionedByDay,
        queryTimeoutSeconds,
        RowFormat.V2_BINARY,
        true);
  }

  static Dialect detect(
      String productName, String productVersion, String table, boolean partitionedByDay) {
    return detect(productName, productVersion, table, partitionedByDay, 0);
  }

  static Dialect detect(String productName, String productVersion, String table) {
    return detect(productName, productVersion, table, false, 0);
  }

  /**
   * The row format of the existing table: {@link RowFormat#V2_BINARY} iff it has a {@code purge_at}
   * column (never for the partition-per-day layout), {@link RowFormat#V1_HEX} if it has only the
   * 0.1.0 columns, {@code null} if the table does not exist. Leaves the connection's transaction as
   * it found it (rolls back a failed probe when auto-commit is off).
   */
  final RowFormat probeFormat(Connection c) throws SQLException {
    if (!(this instanceof PostgresPartitionedDialect) && hasColumn(c, "purge_at")) {
      return RowFormat.V2_BINARY;
    }
    return hasColumn(c, "key_hash") ? RowFormat.V1_HEX : null;
  }

  private boolean hasColumn(Connection c, String column) throws SQLException {
    try (Statement st = c.createStatement()) {
      if (queryTimeoutSeconds > 0) {
        st.setQueryTimeout(queryTimeoutSeconds);
      }
      st.executeQuery("SELECT " + column + " FROM " + table + " WHERE 1 = 0").close();
      return true;
    } catch (SQLException e) {
      if (!isMissingTable(e)) {
        throw e;
      }
      if (!c.getAutoCommit()) {
        c.rollback();
      }
      return false;
    }
  }

  final String name() {
    return name;
  }

  /** Resource name (relative to this package) of the DDL for this dialect. */
  final String schemaResource() {
    return schemaResource;
  }

  /** The JDBC query timeout applied to every statement, in seconds; 0 means none. */
  final int queryTimeoutSeconds() {
    return queryTimeoutSeconds;
  }

  /**
   * Prepares {@code sql} with the query timeout. Inside a call of a bounded store view ({@link
   * CallDeadline}) on {@code c}, first sets the connection's network timeout to the call's time
   * left and caps the query timeout to it.
   *
   * @throws java.sql.SQLTimeoutException in a bounded call with no time left (nothing sent)
   */
  final PreparedStatement prepare(Connection c, String sql) throws SQLException {
    int timeout = queryTimeoutSeconds;
    CallDeadline deadline = CallDeadline.on(c);
    if (deadline != null) {
      timeout = deadline.arm(c, timeout);
    }
    PreparedStatement ps = c.prepareStatement(sql);
    if (timeout > 0) {
      ps.setQueryTimeout(timeout);
    }
    return ps;
  }

  /**
   * Inserts the record as in progress, or takes it over if its {@code expires_at} has passed, and
   * returns the row as it stands afterwards; the caller owns the lease iff the returned owner token
   * is its own. Returns {@code null} only if no row could be read back (the dialect's fallback read
   * raced with a delete) so the caller retries. By default runs {@link #claimSql()}, a single
   * statement whose first result row holds the {@link #RETURNED} columns.
   */
  StoredRow claim(Connection c, ClaimParams p) throws SQLException {
    return claimInOneStatement(c, p);
  }

  /**
   * Runs {@link #claimSql()} with the {@link #inserted} parameters; the first row is the result.
   */
  final StoredRow claimInOneStatement(Connection c, ClaimParams p) throws SQLException {
    try (PreparedStatement ps = prepare(c, claimSql())) {
      bindInsert(ps, 1, p);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? read(rs) : null;
      }
    }
  }

  /** The claim statement as sent (for tests that compare it with the documentation). */
  abstract String claimSql();

  /** The complete, release and renew statements as sent, in this order (for the same tests). */
  final List<String> compareAndSetSql() {
    return List.of(completeSql, releaseSql, renewSql);
  }

  /**
   * The purge statement; parameters are now, batch size and (PostgreSQL only) now again. Exposed
   * for plan checks in tests.
   */
  abstract String purgeSql();

  /**
   * The indexed column a purge searches: {@code expires_at} in V1, {@code purge_at} in V2 (always
   * at or after {@code expires_at}, so a row it finds has expired).
   */
  final String purgeColumn() {
    return format == RowFormat.V2_BINARY ? "purge_at" : "expires_at";
  }

  /** Deletes at most {@code batchSize} expired rows; returns the count. */
  int purgeBatch(Connection c, long nowMillis, int batchSize) throws SQLException {
    try (PreparedStatement ps = prepare(c, purgeSql())) {
      ps.setLong(1, nowMillis);
      ps.setInt(2, batchSize);
      return ps.executeUpdate();
    }
  }

  /** Whether {@code e} says the table (or one of its columns) does not exist. */
  abstract boolean isMissingTable(SQLException e);

  /** Whether {@code e} is a lost race that a retry of the same statement resolves. */
  boolean isRetryableRace(SQLException e) {
    String state = e.getSQLState();
    // 40001 serialization failure / deadlock (all), 40P01 deadlock (PostgreSQL),
    // 23505/23000 unique violation: two MERGE/INSERTs of the same new key raced.
    return "40001".equals(state)
        || "40P01".equals(state)
        || "23505".equals(state)
        || ("23000".equals(state) && e.getErrorCode() == 1062);
  }

  /** {@code SELECT <returned> FROM t WHERE key_hash = ?}: the row, expired or not, or null. */
  StoredRow find(Connection c, byte[] keyHash) throws SQLException {
    try (PreparedStatement ps = prepare(c, findSql)) {
      bindDigest(ps, 1, keyHash);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? read(rs) : null;
      }
    }
  }

  /**
   * {@code UPDATE t SET state = 'C', expires_at = now + retention, [V2: purge_at =
   * GREATEST(purge_at, now + retention),] result_code = ?, metadata = ?, body = ? WHERE key_hash =
   * ? AND owner_token = ? AND state = 'P' AND expires_at > now}; returns the update count (1 iff
   * the caller still owned a live lease).
   */
  int complete(
      Connection c,
      byte[] keyHash,
      String ownerToken,
      long nowMillis,
      long expiresAtMillis,
      int resultCode,
      byte[] metadata,
      byte[] body)
      throws SQLException {
    try (PreparedStatement ps = prepare(c, completeSql)) {
      int i = 1;
      ps.setLong(i++, expiresAtMillis);
      if (format == RowFormat.V2_BINARY) {
        ps.setLong(i++, expiresAtMillis);
      }
      ps.setInt(i++, resultCode);
      setBytes(ps, i++, metadata);
      setBytes(ps, i++, body);
      bindDigest(ps, i++, keyHash);
      ps.setString(i++, ownerToken);
      ps.setLong(i, nowMillis);
      return ps.executeUpdate();
    }
  }

  /**
   * Inserts a new key directly as completed, without waiting on or locking a committed row of the
   * same key; returns 1 if inserted, 0 if the key has a row (live or expired), or -1 without a
   * round trip if this dialect has no such statement (callers then claim as usual). Must wait for
   * an uncommitted insert of the same key and then see it, so two transactions never both insert.
   * The row is written in this dialect's {@link RowFormat}: {@code p.leaseExpiresAtMillis()} is the
   * retention's expiry and, in {@link RowFormat#V2_BINARY}, {@code p.purgeAtMillis()} its {@code
   * purge_at}.
   */
  int insertCompleted(Connection c, ClaimParams p, int resultCode, byte[] metadata, byte[] body)
      throws SQLException {
    return -1;
  }

  /** Whether {@link #insertCompleted} has a statement in this dialect. */
  boolean supportsInsertCompleted() {
    return false;
  }

  /**
   * Inserts a batch of distinct new keys directly as completed in one statement, with the same
   * guarantees per key as {@link #insertCompleted}: a key that has a row (live or expired) is
   * skipped without waiting on or locking a committed row, an uncommitted insert of the same key is
   * waited for. Each {@code ClaimParams} carries its key's digests and times; the owner token, the
   * times and the outcome are those of {@code rows.get(0)} for every row. Returns the lowercase hex
   * of the key hashes inserted, or null without a round trip if this dialect has no such statement.
   * Rows are inserted in key-hash order, so two batches sharing keys wait for each other in one
   * order and cannot deadlock on their keys.
   */
  java.util.Set<String> insertCompletedBatch(
      Connection c, List<ClaimParams> rows, int resultCode, byte[] metadata, byte[] body)
      throws SQLException {
    return null;
  }

  /**
   * {@code DELETE FROM t WHERE key_hash = ? AND owner_token = ?}: deletes the caller's row of the
   * key whatever its state; the update count.
   */
  int deleteOwned(Connection c, byte[] keyHash, String ownerToken) throws SQLException {
    try (PreparedStatement ps = prepare(c, deleteOwnedSql)) {
      bindDigest(ps, 1, keyHash);
      ps.setString(2, ownerToken);
      return ps.executeUpdate();
    }
  }

  /**
   * {@code DELETE FROM t WHERE key_hash = ? AND owner_token = ? AND state = 'P' AND expires_at >
   * now}.
   */
  int release(Connection c, byte[] keyHash, String ownerToken, long nowMillis) throws SQLException {
    try (PreparedStatement ps = prepare(c, releaseSql)) {
      bindDigest(ps, 1, keyHash);
      ps.setString(2, ownerToken);
      ps.setLong(3, nowMillis);
      return ps.executeUpdate();
    }
  }

  /**
   * {@code UPDATE t SET expires_at = now + lease [V2: , purge_at = GREATEST(purge_at, now + lease)]
   * WHERE key_hash = ? AND owner_token = ? AND state = 'P' AND expires_at > now}.
   */
  int renew(Connection c, byte[] keyHash, String ownerToken, long nowMillis, long expiresAtMillis)
      throws SQLException {
    try (PreparedStatement ps = prepare(c, renewSql)) {
      int i = 1;
      ps.setLong(i++, expiresAtMillis);
      if (format == RowFormat.V2_BINARY) {
        ps.setLong(i++, expiresAtMillis);
      }
      bindDigest(ps, i++, keyHash);
      ps.setString(i++, ownerToken);
      ps.setLong(i, nowMillis);
      return ps.executeUpdate();
    }
  }

  /** One indexed probe that fails if the database is unreachable or the table is missing. */
  void ping(Connection c) throws SQLException {
    ping(c, queryTimeoutSeconds);
  }

  void ping(Connection c, int timeoutSeconds) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(pingSql)) {
      if (timeoutSeconds > 0) {
        ps.setQueryTimeout(timeoutSeconds);
      }
      if (format == RowFormat.V2_BINARY) {
        ps.setBytes(1, new byte[0]);
      } else {
        ps.setString(1, "");
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
      }
    }
  }

  static void setBytes(PreparedStatement ps, int index, byte[] value) throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.VARBINARY);
    } else {
      ps.setBytes(index, value);
    }
  }

  /** Binds a 32-byte digest as the format stores it: raw bytes (V2) or 64 hex characters (V1). */
  final void bindDigest(PreparedStatement ps, int index, byte[] digest) throws SQLException {
    if (format == RowFormat.V2_BINARY) {
      ps.setBytes(index, digest);
    } else {
      ps.setString(index, HEX.formatHex(digest));
    }
  }

  /** Binds the {@link #inserted} columns from position {@code from} on. */
  final void bindInsert(PreparedStatement ps, int from, ClaimParams p) throws SQLException {
    bindDigest(ps, from, p.keyHash());
    ps.setString(from + 1, p.scope());
    ps.setString(from + 2, p.operation());
    ps.setString(from + 3, p.clientKey());
    ps.setString(from + 4, "P");
    ps.setString(from + 5, p.ownerToken());
    bindDigest(ps, from + 6, p.fingerprint());
    ps.setLong(from + 7, p.nowMillis());
    ps.setLong(from + 8, p.leaseExpiresAtMillis());
    if (format == RowFormat.V2_BINARY) {
      ps.setLong(from + 9, p.purgeAtMillis());
    }
  }

  /** Reads the {@link #RETURNED} columns at positions 1..9. */
  final StoredRow read(ResultSet rs) throws SQLException {
    int code = rs.getInt(6);
    Integer resultCode = rs.wasNull() ? null : code;
    String fingerprint;
    if (format == RowFormat.V2_BINARY) {
      byte[] fp = rs.getBytes(3);
      fingerprint = fp == null ? null : HEX.formatHex(fp);
    } else {
      fingerprint = rs.getString(3);
    }
    return new StoredRow(
        "C".equals(rs.getString(1)),
        rs.getString(2),
        fingerprint,
        rs.getLong(4),
        rs.getLong(5),
        resultCode,
        rs.getBytes(7),
        rs.getBytes(8),
        rs.getInt(9) != 0);
  }

  /**
   * Parameters of one claim. {@code keyHash} and {@code fingerprint} are the 32-byte digests;
   * {@code purgeAtMillis} (V2 only) is when the row may be deleted unless completion or renewal
   * pushes it later.
   */
  record ClaimParams(
      byte[] keyHash,
      String scope,
      String operation,
      String clientKey,
      String ownerToken,
      byte[] fingerprint,
      long nowMillis,
      long leaseExpiresAtMillis,
      long purgeAtMillis) {}
}
