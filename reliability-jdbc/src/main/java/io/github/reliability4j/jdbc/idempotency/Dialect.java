package io.github.reliability4j.jdbc.idempotency;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Locale;

/**
 * Per-dialect SQL. Every statement of one dialect sits in its subclass; the shared ones (complete,
 * release, renew, find) are standard SQL and live here. The algorithm is described on {@link
 * JdbcIdempotencyStore}.
 *
 * <p>Instances are immutable and thread-safe; statements are prepared per call on the caller's
 * connection.
 */
abstract class Dialect {

  static final List<String> SUPPORTED = List.of("PostgreSQL", "MariaDB", "MySQL", "H2");

  /** Columns every statement reads back, in this order. */
  static final String RETURNED =
      "state, owner_token, fingerprint, created_at, expires_at, result_code, metadata, body,"
          + " took_over";

  static final String INSERTED =
      "key_hash, scope, operation, client_key, state, owner_token, fingerprint, created_at,"
          + " expires_at";

  final String table;
  private final String name;
  private final String schemaResource;
  private int queryTimeoutSeconds;

  Dialect(String name, String schemaResource, String table) {
    this.name = name;
    this.schemaResource = schemaResource;
    this.table = table;
  }

  /** Sets the JDBC query timeout applied to every statement; 0 means none. */
  final Dialect withQueryTimeout(int seconds) {
    this.queryTimeoutSeconds = seconds;
    return this;
  }

  final PreparedStatement prepare(Connection c, String sql) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    if (queryTimeoutSeconds > 0) {
      ps.setQueryTimeout(queryTimeoutSeconds);
    }
    return ps;
  }

  /**
   * Chooses the dialect from {@link DatabaseMetaData#getDatabaseProductName()}; MySQL Connector/J
   * reports "MySQL" for a MariaDB server too, so the version string decides between them.
   */
  static Dialect detect(
      String productName, String productVersion, String table, boolean partitionedByDay) {
    Dialect d = detect(productName, productVersion, table);
    if (!partitionedByDay) {
      return d;
    }
    if (!(d instanceof Postgres)) {
      throw new IllegalStateException(
          "partitionedByDay requires PostgreSQL 11+, but the database is " + d.name());
    }
    return new PostgresPartitioned(table);
  }

  static Dialect detect(String productName, String productVersion, String table) {
    String product = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
    String version = productVersion == null ? "" : productVersion.toLowerCase(Locale.ROOT);
    if (product.contains("postgresql")) {
      return new Postgres(table);
    }
    if (product.contains("mariadb") || (product.contains("mysql") && version.contains("mariadb"))) {
      return new MariaDb(table);
    }
    if (product.contains("mysql")) {
      return new MySql(table);
    }
    if (product.equals("h2")) {
      return new H2(table);
    }
    throw new UnsupportedDatabaseException(productName, productVersion, SUPPORTED);
  }

  final String name() {
    return name;
  }

  /** Resource name (relative to this package) of the DDL for this dialect. */
  final String schemaResource() {
    return schemaResource;
  }

  /**
   * Inserts the record as in progress, or takes it over if its {@code expires_at} has passed, and
   * returns the row as it stands afterwards; the caller owns the lease iff the returned owner token
   * is its own. Returns {@code null} only if no row could be read back (the dialect's fallback read
   * raced with a delete) so the caller retries.
   */
  abstract StoredRow claim(Connection c, ClaimParams p) throws SQLException;

  /** Deletes at most {@code batchSize} rows with {@code expires_at <= now}; returns the count. */
  abstract int purgeBatch(Connection c, long nowMillis, int batchSize) throws SQLException;

  /**
   * The purge statement; parameters are now, batch size and (PostgreSQL only) now again. Exposed
   * for plan checks in tests.
   */
  abstract String purgeSql();

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

  StoredRow find(Connection c, String keyHash) throws SQLException {
    try (PreparedStatement ps =
        prepare(c, "SELECT " + RETURNED + " FROM " + table + " WHERE key_hash = ?")) {
      ps.setString(1, keyHash);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? read(rs) : null;
      }
    }
  }

  int complete(
      Connection c,
      String keyHash,
      String ownerToken,
      long nowMillis,
      long expiresAtMillis,
      int resultCode,
      byte[] metadata,
      byte[] body)
      throws SQLException {
    try (PreparedStatement ps =
        prepare(
            c,
            "UPDATE "
                + table
                + " SET state = 'C', expires_at = ?, result_code = ?, metadata = ?, body = ?"
                + " WHERE key_hash = ? AND owner_token = ? AND state = 'P' AND expires_at > ?")) {
      ps.setLong(1, expiresAtMillis);
      ps.setInt(2, resultCode);
      setBytes(ps, 3, metadata);
      setBytes(ps, 4, body);
      ps.setString(5, keyHash);
      ps.setString(6, ownerToken);
      ps.setLong(7, nowMillis);
      return ps.executeUpdate();
    }
  }

  /**
   * Inserts a new key directly as completed, without waiting on or locking a committed row of the
   * same key; returns 1 if inserted, 0 if the key has a row (live or expired), or -1 without a
   * round trip if this dialect has no such statement (callers then claim as usual). Must wait for
   * an uncommitted insert of the same key and then see it, so two transactions never both insert.
   */
  int insertCompleted(Connection c, ClaimParams p, int resultCode, byte[] metadata, byte[] body)
      throws SQLException {
    return -1;
  }

  /** Whether {@link #insertCompleted} has a statement in this dialect. */
  boolean supportsInsertCompleted() {
    return false;
  }

  /** Deletes the caller's row of the key whatever its state; the update count. */
  int deleteOwned(Connection c, String keyHash, String ownerToken) throws SQLException {
    try (PreparedStatement ps =
        prepare(c, "DELETE FROM " + table + " WHERE key_hash = ? AND owner_token = ?")) {
      ps.setString(1, keyHash);
      ps.setString(2, ownerToken);
      return ps.executeUpdate();
    }
  }

  int release(Connection c, String keyHash, String ownerToken, long nowMillis) throws SQLException {
    try (PreparedStatement ps =
        prepare(
            c,
            "DELETE FROM "
                + table
                + " WHERE key_hash = ? AND owner_token = ? AND state = 'P' AND expires_at > ?")) {
      ps.setString(1, keyHash);
      ps.setString(2, ownerToken);
      ps.setLong(3, nowMillis);
      return ps.executeUpdate();
    }
  }

  int renew(Connection c, String keyHash, String ownerToken, long nowMillis, long expiresAtMillis)
      throws SQLException {
    try (PreparedStatement ps =
        prepare(
            c,
            "UPDATE "
                + table
                + " SET expires_at = ? WHERE key_hash = ? AND owner_token = ? AND state = 'P'"
                + " AND expires_at > ?")) {
      ps.setLong(1, expiresAtMillis);
      ps.setString(2, keyHash);
      ps.setString(3, ownerToken);
      ps.setLong(4, nowMillis);
      return ps.executeUpdate();
    }
  }

  /** One indexed probe that fails if the database is unreachable or the table is missing. */
  void ping(Connection c) throws SQLException {
    ping(c, queryTimeoutSeconds);
  }

  void ping(Connection c, int timeoutSeconds) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM " + table + " WHERE key_hash = ?")) {
      if (timeoutSeconds > 0) {
        ps.setQueryTimeout(timeoutSeconds);
      }
      ps.setString(1, "");
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

  static void bindInsert(PreparedStatement ps, int from, ClaimParams p) throws SQLException {
    ps.setString(from, p.keyHash());
    ps.setString(from + 1, p.scope());
    ps.setString(from + 2, p.operation());
    ps.setString(from + 3, p.clientKey());
    ps.setString(from + 4, "P");
    ps.setString(from + 5, p.ownerToken());
    ps.setString(from + 6, p.fingerprint());
    ps.setLong(from + 7, p.nowMillis());
    ps.setLong(from + 8, p.leaseExpiresAtMillis());
  }

  /** Reads the {@link #RETURNED} columns at positions 1..9. */
  static StoredRow read(ResultSet rs) throws SQLException {
    int code = rs.getInt(6);
    Integer resultCode = rs.wasNull() ? null : code;
    return new StoredRow(
        "C".equals(rs.getString(1)),
        rs.getString(2),
        rs.getString(3),
        rs.getLong(4),
        rs.getLong(5),
        resultCode,
        rs.getBytes(7),
        rs.getBytes(8),
        rs.getInt(9) != 0);
  }

  /** Parameters of one claim. */
  record ClaimParams(
      String keyHash,
      String scope,
      String operation,
      String clientKey,
      String ownerToken,
      String fingerprint,
      long nowMillis,
      long leaseExpiresAtMillis) {}

  /**
   * PostgreSQL 9.5+. Claim: one statement, one round trip. Its first CTE reads the live row of the
   * key; only when there is none does the data-modifying CTE run its {@code INSERT ... ON CONFLICT
   * DO UPDATE ... WHERE}, which takes over only an expired row and returns it. A duplicate (a live
   * row) is therefore answered by a plain index read: {@code ON CONFLICT DO UPDATE} would lock the
   * conflicting row even when its {@code WHERE} is false, which writes WAL and consumes a
   * transaction ID per retry. A row committed by a concurrent claim after the statement's snapshot
   * still meets the {@code ON CONFLICT} clause (nothing is returned then, and the row is read by a
   * second statement).
   */
  static class Postgres extends Dialect {

    private final String claimSql;
    private final String purgeSql;
    private final String insertCompletedSql;

    Postgres(String table) {
      this(table, "schema-postgresql.sql");
    }

    Postgres(String table, String resource) {
      super("PostgreSQL", resource, table);
      String returnedR =
          "r.state, r.owner_token, r.fingerprint, r.created_at, r.expires_at, r.result_code,"
              + " r.metadata, r.body, r.took_over";
      claimSql =
          "WITH live AS (SELECT "
              + returnedR.replace("r.", "t.")
              + " FROM "
              + table
              + " t WHERE t.key_hash = ? AND t.expires_at > ?), claimed AS (INSERT INTO "
              + table
              + " AS r ("
              + INSERTED
              + ") SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM live)"
              + " ON CONFLICT (key_hash) DO UPDATE SET"
              + " took_over = CASE WHEN r.state = 'P' THEN 1 ELSE 0 END, state = EXCLUDED.state,"
              + " owner_token = EXCLUDED.owner_token, fingerprint = EXCLUDED.fingerprint,"
              + " created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,"
              + " result_code = NULL, metadata = NULL, body = NULL"
              + " WHERE r.expires_at <= EXCLUDED.created_at"
              + " RETURNING "
              + returnedR
              + ") SELECT "
              + RETURNED
              + " FROM claimed UNION ALL SELECT "
              + RETURNED
              + " FROM live";
      insertCompletedSql =
          "INSERT INTO "
              + table
              + " ("
              + INSERTED
              + ", result_code, metadata, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
              + " ON CONFLICT (key_hash) DO NOTHING";
      purgeSql =
          "DELETE FROM "
              + table
              + " WHERE key_hash = ANY(ARRAY(SELECT key_hash FROM "
              + table
              + " WHERE expires_at <= ? ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED))"
              + " AND expires_at <= ?";
    }

    @Override
    StoredRow claim(Connection c, ClaimParams p) throws SQLException {
      try (PreparedStatement ps = prepare(c, claimSql)) {
        ps.setString(1, p.keyHash());
        ps.setLong(2, p.nowMillis());
        bindInsert(ps, 3, p);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            return read(rs);
          }
        }
      }
      // The conflicting row was committed by a concurrent claim after this statement's snapshot
      // was taken, so the live branch could not see it; a fresh statement can.
      return find(c, p.keyHash());
    }

    @Override
    String purgeSql() {
      return purgeSql;
    }

    @Override
    int purgeBatch(Connection c, long nowMillis, int batchSize) throws SQLException {
      try (PreparedStatement ps = prepare(c, purgeSql)) {
        ps.setLong(1, nowMillis);
        ps.setInt(2, batchSize);
        ps.setLong(3, nowMillis);
        return ps.executeUpdate();
      }
    }

    @Override
    boolean supportsInsertCompleted() {
      return true;
    }

    /**
     * {@code INSERT ... ON CONFLICT (key_hash) DO NOTHING}: takes no lock on a committed
     * conflicting row, and waits for an uncommitted one (then does nothing if it committed).
     */
    @Override
    int insertCompleted(Connection c, ClaimParams p, int resultCode, byte[] metadata, byte[] body)
        throws SQLException {
      try (PreparedStatement ps = prepare(c, insertCompletedSql)) {
        bindInsert(ps, 1, p);
        ps.setString(5, "C");
        ps.setInt(10, resultCode);
        setBytes(ps, 11, metadata);
        setBytes(ps, 12, body);
        return ps.executeUpdate();
      }
    }

    @Override
    boolean isMissingTable(SQLException e) {
      // undefined_table, undefined_column, undefined_function (partitioned layout's claim)
      return "42P01".equals(e.getSQLState())
          || "42703".equals(e.getSQLState())
          || "42883".equals(e.getSQLState());
    }
  }

  /**
   * PostgreSQL partition-per-day layout: the claim calls the layout's PL/pgSQL function (one round
   * trip), which serializes claims of a key with an advisory lock because a partitioned table
   * cannot have a unique index on {@code key_hash} alone. All other statements are inherited.
   */
  static final class PostgresPartitioned extends Postgres {

    private final String claimSql;

    PostgresPartitioned(String table) {
      super(table, "schema-postgresql-partitioned.sql");
      claimSql = "SELECT " + RETURNED + " FROM " + table + "_claim(?, ?, ?, ?, ?, ?, ?, ?, ?)";
    }

    @Override
    boolean supportsInsertCompleted() {
      return false;
    }

    /** No unique index on {@code key_hash} alone across partitions: claims go the usual way. */
    @Override
    int insertCompleted(Connection c, ClaimParams p, int resultCode, byte[] metadata, byte[] body) {
      return -1;
    }

    @Override
    StoredRow claim(Connection c, ClaimParams p) throws SQLException {
      try (PreparedStatement ps = prepare(c, claimSql)) {
        bindInsert(ps, 1, p);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? read(rs) : null;
        }
      }
    }
  }

  /**
   * MySQL 8 and MariaDB share {@code INSERT ... ON DUPLICATE KEY UPDATE} with every column set
   * through {@code IF(expires_at <= now, new, old)}. Assignments run left to right and see earlier
   * assignments, so {@code expires_at} is assigned last and every condition reads its old value.
   */
  abstract static class MySqlFamily extends Dialect {

    final String upsertSql;
    private final String purgeSql;

    MySqlFamily(String name, String resource, String table) {
      super(name, resource, table);
      String expired = "expires_at <= VALUES(created_at)";
      upsertSql =
          "INSERT INTO "
              + table
              + " ("
              + INSERTED
              + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
              + (" took_over = IF(" + expired + ", state = 'P', took_over),")
              + (" owner_token = IF(" + expired + ", VALUES(owner_token), owner_token),")
              + (" state = IF(" + expired + ", VALUES(state), state),")
              + (" fingerprint = IF(" + expired + ", VALUES(fingerprint), fingerprint),")
              + (" result_code = IF(" + expired + ", NULL, result_code),")
              + (" metadata = IF(" + expired + ", NULL, metadata),")
              + (" body = IF(" + expired + ", NULL, body),")
              + (" created_at = IF(" + expired + ", VALUES(created_at), created_at),")
              + (" expires_at = IF(" + expired + ", VALUES(expires_at), expires_at)");
      purgeSql = "DELETE FROM " + table + " WHERE expires_at <= ? ORDER BY expires_at LIMIT ?";
    }

    @Override
    String purgeSql() {
      return purgeSql;
    }

    @Override
    int purgeBatch(Connection c, long nowMillis, int batchSize) throws SQLException {
      try (PreparedStatement ps = prepare(c, purgeSql)) {
        ps.setLong(1, nowMillis);
        ps.setInt(2, batchSize);
        return ps.executeUpdate();
      }
    }

    @Override
    boolean isMissingTable(SQLException e) {
      // ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR
      return e.getErrorCode() == 1146 || e.getErrorCode() == 1054;
    }
  }

  /** MariaDB 10.5+: the upsert carries {@code RETURNING}, which yields the row as it stands. */
  static final class MariaDb extends MySqlFamily {

    private final String claimSql;

    MariaDb(String table) {
      super("MariaDB", "schema-mariadb.sql", table);
      claimSql = upsertSql + " RETURNING " + RETURNED;
    }

    @Override
    StoredRow claim(Connection c, ClaimParams p) throws SQLException {
      try (PreparedStatement ps = prepare(c, claimSql)) {
        bindInsert(ps, 1, p);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? read(rs) : null;
        }
      }
    }
  }

  /** MySQL 8 has no {@code RETURNING}: the upsert is followed by a read (two round trips). */
  static final class MySql extends MySqlFamily {

    MySql(String table) {
      super("MySQL", "schema-mysql.sql", table);
    }

    @Override
    StoredRow claim(Connection c, ClaimParams p) throws SQLException {
      try (PreparedStatement ps = prepare(c, upsertSql)) {
        bindInsert(ps, 1, p);
        ps.executeUpdate();
      }
      return find(c, p.keyHash());
    }
  }

  /**
   * H2 2.x: {@code MERGE INTO ... USING} wrapped in {@code FINAL TABLE}. The matched branch always
   * updates (with {@code CASE} keeping the old values unless expired) so that the merged row is
   * returned in one statement for duplicates too. H2 is meant for tests and development; the write
   * on a duplicate does not matter there.
   */
  static final class H2 extends Dialect {

    private final String claimSql;
    private final String purgeSql;

    H2(String table) {
      super("H2", "schema-h2.sql", table);
      String expired = "r.expires_at <= s.created_at";
      claimSql =
          "SELECT "
              + RETURNED
              + " FROM FINAL TABLE (MERGE INTO "
              + table
              + " r USING (VALUES (CAST(? AS CHAR(64)), CAST(? AS VARCHAR(1024)),"
              + " CAST(? AS VARCHAR(1024)), CAST(? AS VARCHAR(1024)), CAST(? AS CHAR(1)),"
              + " CAST(? AS VARCHAR(64)), CAST(? AS VARCHAR(128)), CAST(? AS BIGINT),"
              + " CAST(? AS BIGINT))) s("
              + INSERTED
              + ") ON r.key_hash = s.key_hash"
              + " WHEN NOT MATCHED THEN INSERT ("
              + INSERTED
              + ") VALUES (s.key_hash, s.scope, s.operation, s.client_key, s.state,"
              + " s.owner_token, s.fingerprint, s.created_at, s.expires_at)"
              + " WHEN MATCHED THEN UPDATE SET"
              + (" took_over = CASE WHEN "
                  + expired
                  + " THEN CASE WHEN r.state = 'P' THEN 1 ELSE 0"
                  + " END ELSE r.took_over END,")
              + (" state = CASE WHEN " + expired + " THEN s.state ELSE r.state END,")
              + (" owner_token = CASE WHEN "
                  + expired
                  + " THEN s.owner_token ELSE r.owner_token END,")
              + (" fingerprint = CASE WHEN "
                  + expired
                  + " THEN s.fingerprint ELSE r.fingerprint END,")
              + (" result_code = CASE WHEN " + expired + " THEN NULL ELSE r.result_code END,")
              + (" metadata = CASE WHEN " + expired + " THEN NULL ELSE r.metadata END,")
              + (" body = CASE WHEN " + expired + " THEN NULL ELSE r.body END,")
              + (" created_at = CASE WHEN " + expired + " THEN s.created_at ELSE r.created_at END,")
              + (" expires_at = CASE WHEN " + expired + " THEN s.expires_at ELSE r.expires_at END")
              + ")";
      purgeSql = "DELETE FROM " + table + " WHERE expires_at <= ? FETCH FIRST ? ROWS ONLY";
    }

    @Override
    StoredRow claim(Connection c, ClaimParams p) throws SQLException {
      try (PreparedStatement ps = prepare(c, claimSql)) {
        bindInsert(ps, 1, p);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? read(rs) : null;
        }
      }
    }

    @Override
    String purgeSql() {
      return purgeSql;
    }

    @Override
    int purgeBatch(Connection c, long nowMillis, int batchSize) throws SQLException {
      try (PreparedStatement ps = prepare(c, purgeSql)) {
        ps.setLong(1, nowMillis);
        ps.setInt(2, batchSize);
        return ps.executeUpdate();
      }
    }

    @Override
    boolean isMissingTable(SQLException e) {
      // 42102 table not found, 42103 table not found with candidates, 42122 column not found
      return e.getErrorCode() == 42102 || e.getErrorCode() == 42103 || e.getErrorCode() == 42122;
    }
  }
}
