package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.test.idempotency.MutableClock;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A table created by 0.1.0 (row format 1, its DDL kept as a test resource under {@code v010/}) with
 * rows written as 0.1.0 wrote them: the current store keeps reading and writing it in that format;
 * the shipped migration script converts it in place, after which every old row still matches its
 * key and fingerprint, an owner that claimed before the migration completes after it, and a store
 * that still writes the old format fails loudly instead of writing a mixed table.
 */
class RowFormatMigrationTest {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration RETENTION = Duration.ofHours(1);
  private static final RequestFingerprint FP = RequestFingerprint.sha256("order 1");

  private final MutableClock clock = MutableClock.create();

  @Test
  void postgres010TableKeepsWorkingAndMigratesInPlace() throws Exception {
    run(TestDatabases.machinePostgres(), "postgresql", "idem_mig_pg");
  }

  @Test
  void mariaDb010TableKeepsWorkingAndMigratesInPlace() throws Exception {
    run(TestDatabases.mariaDb(), "mariadb", "idem_mig_maria");
  }

  @Test
  void h2010TableKeepsWorking() throws Exception {
    DataSource ds = TestDatabases.h2();
    String table = TestDatabases.uniqueTable("idem_mig_h2");
    createOldTable(ds, "h2", table);
    IdempotencyKey done = IdempotencyKey.of("tenant", "pay", "done");
    insertAs010(ds, table, done, "C", UUID.randomUUID().toString(), 201, "receipt");
    JdbcIdempotencyStore store = store(ds, table);
    assertThat(store.rowFormat()).isEqualTo("V1_HEX");
    assertReplays(store, done, "receipt");
    IdempotencyKey fresh = IdempotencyKey.of("tenant", "pay", "fresh");
    claimAndComplete(store, fresh, "new");
    assertThat(storedKey(ds, table, "fresh")).isEqualTo(KeyHash.of("tenant", "pay", "fresh"));
  }

  /**
   * The transactional inbox's one-statement insert writes each table's own format: hex digests in a
   * 0.1.0 table, 32 bytes and {@code purge_at} after the migration; the owned delete finds both.
   */
  @Test
  void postgresOneStatementInsertWritesTheTablesFormat() throws Exception {
    DataSource ds = TestDatabases.machinePostgres();
    String table = TestDatabases.uniqueTable("idem_mig_ins");
    StoredOutcome processed = StoredOutcome.of(204, new byte[0]);
    try {
      createOldTable(ds, "postgresql", table);
      JdbcIdempotencyStore old = store(ds, table);
      assertThat(old.supportsInsertCompletedInTransaction()).isTrue();
      IdempotencyKey v1 = IdempotencyKey.of("tenant", "pay", "ins-v1");
      insertCompleted(ds, old, v1, processed);
      assertThat(storedKey(ds, table, "ins-v1")).isEqualTo(KeyHash.of("tenant", "pay", "ins-v1"));
      assertThat(old.claim(v1, FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);
      assertThat(old.claim(v1, RequestFingerprint.sha256("other"), LEASE))
          .isInstanceOf(ClaimResult.Mismatch.class);

      try (Connection c = ds.getConnection()) {
        JdbcIdempotencySchema.apply(
            c,
            JdbcIdempotencySchema.RESOURCE_DIRECTORY + "migrate-0.1-to-0.2-postgresql.sql",
            table);
      }
      JdbcIdempotencyStore migrated = store(ds, table);
      assertThat(migrated.rowFormat()).isEqualTo("V2_BINARY");
      IdempotencyKey v2 = IdempotencyKey.of("tenant", "pay", "ins-v2");
      insertCompleted(ds, migrated, v2, processed);
      assertThat(storedKey(ds, table, "ins-v2")).isEqualTo(KeyHash.of("tenant", "pay", "ins-v2"));
      assertThat(migrated.claim(v1, FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);
      assertThat(migrated.claim(v2, FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        IdempotencyKey gone = IdempotencyKey.of("tenant", "pay", "ins-gone");
        String token =
            migrated.insertCompletedInTransaction(c, gone, FP, processed, RETENTION).orElseThrow();
        assertThat(migrated.deleteInTransaction(c, gone, token)).isTrue();
        c.commit();
        assertThat(migrated.find(gone)).isEmpty();
      }
      clock.advance(RETENTION.minusSeconds(1));
      assertThat(migrated.purgeExpired()).as("purge_at is the retention's expiry").isZero();
      clock.advance(Duration.ofSeconds(2));
      assertThat(migrated.purgeExpired()).isEqualTo(2);
    } finally {
      TestDatabases.dropTable(ds, table);
    }
  }

  private void insertCompleted(
      DataSource ds, JdbcIdempotencyStore store, IdempotencyKey key, StoredOutcome outcome)
      throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      assertThat(store.insertCompletedInTransaction(c, key, FP, outcome, RETENTION)).isPresent();
      c.commit();
    }
  }

  private void run(DataSource ds, String database, String prefix) throws Exception {
    String table = TestDatabases.uniqueTable(prefix);
    try {
      createOldTable(ds, database, table);
      IdempotencyKey done = IdempotencyKey.of("tenant", "pay", "done");
      IdempotencyKey running = IdempotencyKey.of("tenant", "pay", "running");
      String runningToken = UUID.randomUUID().toString();
      insertAs010(ds, table, done, "C", UUID.randomUUID().toString(), 201, "receipt");
      insertAs010(ds, table, running, "P", runningToken, null, null);

      // The current store on the 0.1.0 table: same format, every operation as before.
      JdbcIdempotencyStore old = store(ds, table);
      assertThat(old.rowFormat()).isEqualTo("V1_HEX");
      assertReplays(old, done, "receipt");
      assertThat(old.claim(running, FP, LEASE)).isInstanceOf(ClaimResult.InProgress.class);
      IdempotencyKey beforeMigration = IdempotencyKey.of("tenant", "pay", "before");
      claimAndComplete(old, beforeMigration, "before");
      assertThat(storedKey(ds, table, "before"))
          .as("written in the table's own (hex) format")
          .isEqualTo(KeyHash.of("tenant", "pay", "before"));

      try (Connection c = ds.getConnection()) {
        JdbcIdempotencySchema.apply(
            c,
            JdbcIdempotencySchema.RESOURCE_DIRECTORY + "migrate-0.1-to-0.2-" + database + ".sql",
            table);
      }

      JdbcIdempotencyStore migrated = store(ds, table);
      assertThat(migrated.rowFormat()).isEqualTo("V2_BINARY");
      assertReplays(migrated, done, "receipt");
      assertReplays(migrated, beforeMigration, "before");
      assertThat(migrated.claim(running, FP, LEASE)).isInstanceOf(ClaimResult.InProgress.class);
      assertThat(migrated.complete(running, runningToken, StoredOutcome.ok("finished"), RETENTION))
          .as("an owner that claimed before the migration completes after it")
          .isTrue();
      assertReplays(migrated, running, "finished");
      IdempotencyKey after = IdempotencyKey.of("tenant", "pay", "after");
      claimAndComplete(migrated, after, "after");
      assertThat(storedKey(ds, table, "after"))
          .as("stored as the 32 digest bytes")
          .isEqualTo(KeyHash.of("tenant", "pay", "after"));

      // A store still holding the old format never writes it into the converted table.
      assertThatThrownBy(() -> old.claim(IdempotencyKey.of("tenant", "pay", "stale"), FP, LEASE))
          .isInstanceOf(IdempotencyStoreException.class);

      clock.advance(RETENTION.plus(LEASE).plusDays(2));
      assertThat(migrated.purgeExpired()).as("every row, old and new, is purgeable").isEqualTo(4);
    } finally {
      TestDatabases.dropTable(ds, table);
    }
  }

  private JdbcIdempotencyStore store(DataSource ds, String table) {
    return JdbcIdempotencyStore.create(
        ds, JdbcIdempotencyStoreConfig.custom().tableName(table).clock(clock).build());
  }

  private static void createOldTable(DataSource ds, String database, String table)
      throws SQLException {
    try (Connection c = ds.getConnection()) {
      JdbcIdempotencySchema.apply(
          c, JdbcIdempotencySchema.RESOURCE_DIRECTORY + "v010/schema-" + database + ".sql", table);
    }
  }

  /** A row exactly as the 0.1.0 store wrote it: hex key hash and fingerprint, UUID token. */
  private void insertAs010(
      DataSource ds,
      String table,
      IdempotencyKey key,
      String state,
      String token,
      Integer status,
      String body)
      throws SQLException {
    long now = clock.millis();
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO "
                    + table
                    + " (key_hash, scope, operation, client_key, state, owner_token, fingerprint,"
                    + " created_at, expires_at, result_code, body)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, KeyHash.of(key.scope(), key.operation(), key.clientKey()));
      ps.setString(2, key.scope());
      ps.setString(3, key.operation());
      ps.setString(4, key.clientKey());
      ps.setString(5, state);
      ps.setString(6, token);
      ps.setString(7, FP.hex());
      ps.setLong(8, now);
      ps.setLong(9, now + (status == null ? LEASE : RETENTION).toMillis());
      if (status == null) {
        ps.setNull(10, java.sql.Types.INTEGER);
        ps.setNull(11, java.sql.Types.VARBINARY);
      } else {
        ps.setInt(10, status);
        ps.setBytes(11, body.getBytes(StandardCharsets.UTF_8));
      }
      ps.executeUpdate();
    }
  }

  /** The stored key hash of client key {@code clientKey} as hex, whatever the column type. */
  private static String storedKey(DataSource ds, String table, String clientKey)
      throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT key_hash FROM " + table + " WHERE client_key = ?")) {
      ps.setString(1, clientKey);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        int type = rs.getMetaData().getColumnType(1);
        if (type == java.sql.Types.CHAR || type == java.sql.Types.VARCHAR) {
          return rs.getString(1).trim();
        }
        byte[] raw = rs.getBytes(1);
        assertThat(raw).hasSize(32);
        return java.util.HexFormat.of().formatHex(raw);
      }
    }
  }

  private static void assertReplays(JdbcIdempotencyStore store, IdempotencyKey key, String body) {
    ClaimResult r = store.claim(key, FP, LEASE);
    assertThat(r).isInstanceOf(ClaimResult.Completed.class);
    assertThat(((ClaimResult.Completed) r).outcome().bodyAsString()).isEqualTo(body);
    assertThat(store.claim(key, RequestFingerprint.sha256("another order"), LEASE))
        .as("the stored fingerprint still matches, and a different one does not")
        .isEqualTo(new ClaimResult.Mismatch(RecordState.COMPLETED));
    assertThat(store.find(key))
        .hasValueSatisfying(rec -> assertThat(rec.fingerprint()).isEqualTo(FP));
  }

  private static void claimAndComplete(
      JdbcIdempotencyStore store, IdempotencyKey key, String body) {
    ClaimResult.Acquired a = (ClaimResult.Acquired) store.claim(key, FP, LEASE, RETENTION);
    assertThat(store.complete(key, a.ownerToken(), StoredOutcome.ok(body), RETENTION)).isTrue();
    assertReplays(store, key, body);
  }
}
