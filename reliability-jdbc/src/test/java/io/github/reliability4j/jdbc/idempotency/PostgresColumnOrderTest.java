package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.test.idempotency.MutableClock;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL column order of row format 2: what a completion never changes comes first, so the
 * completion's WAL record leaves it out (PostgreSQL logs a same-page update without the new row
 * version's unchanged leading bytes). A table created with the earlier order (its DDL kept as a
 * test resource under {@code v02a/}) works the same and is rewritten by the optional script {@code
 * migrate-0.2-column-order-postgresql.sql}, keeping every row.
 */
@ReplicatedPostgres(replicas = 0)
class PostgresColumnOrderTest {

  static final List<String> ORDER =
      List.of(
          "created_at",
          "purge_at",
          "took_over",
          "key_hash",
          "fingerprint",
          "owner_token",
          "scope",
          "operation",
          "client_key",
          "expires_at",
          "state",
          "result_code",
          "metadata",
          "body");

  private static final RequestFingerprint FP = RequestFingerprint.sha256("order");
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration RETENTION = Duration.ofHours(24);
  private static final StoredOutcome OUTCOME =
      StoredOutcome.ok("{\"paymentId\":\"p-1\",\"status\":\"captured\"}");

  private final DataSource ds;
  private final MutableClock clock = MutableClock.create();

  PostgresColumnOrderTest(PostgresCluster cluster) {
    this.ds = cluster.primary().dataSource();
  }

  @Test
  void theDdlPutsWhatACompletionChangesLast() throws SQLException {
    String table = TestDatabases.uniqueTable("i18c_order");
    try {
      store(table, true);
      assertThat(columns(table)).isEqualTo(ORDER);
    } finally {
      TestDatabases.dropTable(ds, table);
    }
  }

  /**
   * The same engine calls, interleaved on a table of each order, each call's WAL read from the
   * insert position before and after it: a new key (claim + completion) writes at least 60 bytes
   * less with the current order (about 115 were measured).
   */
  @Test
  void aNewKeyWritesLessWalThanWithTheEarlierColumnOrder() throws SQLException {
    String earlier = TestDatabases.uniqueTable("i18c_wal_old");
    String current = TestDatabases.uniqueTable("i18c_wal_new");
    try {
      createEarlier(earlier);
      Idempotency old = engine(store(earlier, false));
      Idempotency now = engine(store(current, true));
      assertThat(columns(earlier)).isNotEqualTo(ORDER);
      for (String t : List.of(earlier, current)) {
        execute("ALTER TABLE " + t + " SET (autovacuum_enabled = false)");
      }
      int n = 200;
      long oldWal = 0;
      long newWal = 0;
      try (Connection probe = ds.getConnection()) {
        for (int i = -20; i < n; i++) {
          long a = wal(probe);
          run(old, "k" + i);
          long b = wal(probe);
          run(now, "k" + i);
          long c = wal(probe);
          if (i >= 0) {
            oldWal += b - a;
            newWal += c - b;
          }
        }
      }
      double oldPerKey = (double) oldWal / n;
      double newPerKey = (double) newWal / n;
      System.out.printf(
          "WAL per new key through the engine: earlier column order %.0f B, current %.0f B%n",
          oldPerKey, newPerKey);
      assertThat(newPerKey).isLessThan(oldPerKey - 60);
    } finally {
      TestDatabases.dropTable(ds, earlier);
      TestDatabases.dropTable(ds, current);
    }
  }

  @Test
  void theColumnOrderScriptRewritesAnEarlierTableKeepingEveryRow() throws SQLException {
    String table = TestDatabases.uniqueTable("i18c_reorder");
    try {
      createEarlier(table);
      JdbcIdempotencyStore before = store(table, false);
      IdempotencyKey done = IdempotencyKey.of("tenant", "pay", "done");
      IdempotencyKey running = IdempotencyKey.of("tenant", "pay", "running");
      String doneToken = token(before.claim(done, FP, LEASE, RETENTION));
      assertThat(before.complete(done, doneToken, OUTCOME, RETENTION)).isTrue();
      String runningToken = token(before.claim(running, FP, LEASE, RETENTION));

      try (Connection c = ds.getConnection()) {
        JdbcIdempotencySchema.apply(
            c,
            JdbcIdempotencySchema.RESOURCE_DIRECTORY + "migrate-0.2-column-order-postgresql.sql",
            table);
      }
      assertThat(columns(table)).isEqualTo(ORDER);
      JdbcIdempotencyStore after = store(table, false);
      assertThat(after.rowFormat()).isEqualTo("V2_BINARY");
      assertThat(after.claim(done, FP, LEASE))
          .isInstanceOfSatisfying(
              ClaimResult.Completed.class, r -> assertThat(r.outcome()).isEqualTo(OUTCOME));
      assertThat(after.claim(running, FP, LEASE)).isInstanceOf(ClaimResult.InProgress.class);
      assertThat(after.complete(running, runningToken, StoredOutcome.ok("finished"), RETENTION))
          .as("an owner that claimed before the rewrite completes after it")
          .isTrue();
      IdempotencyKey fresh = IdempotencyKey.of("tenant", "pay", "fresh");
      String freshToken = token(after.claim(fresh, FP, LEASE, RETENTION));
      assertThat(after.claim(fresh, FP, LEASE))
          .as("the primary key is back")
          .isInstanceOf(ClaimResult.InProgress.class);
      assertThat(after.release(fresh, freshToken)).isTrue();
      assertThat(indexes(table)).contains(table + "_pk", table + "_purge_idx");
      clock.advance(LEASE.plus(RETENTION).plus(RETENTION));
      assertThat(after.purgeExpired()).as("both rows, found through purge_at").isEqualTo(2);
    } finally {
      TestDatabases.dropTable(ds, table);
    }
  }

  private void createEarlier(String table) throws SQLException {
    try (Connection c = ds.getConnection()) {
      JdbcIdempotencySchema.apply(
          c, JdbcIdempotencySchema.RESOURCE_DIRECTORY + "v02a/schema-postgresql.sql", table);
    }
  }

  private JdbcIdempotencyStore store(String table, boolean initialize) {
    return JdbcIdempotencyStore.create(
        ds,
        JdbcIdempotencyStoreConfig.custom()
            .tableName(table)
            .clock(clock)
            .initializeSchema(initialize)
            .build());
  }

  private static Idempotency engine(JdbcIdempotencyStore store) {
    return Idempotency.builder(store)
        .withoutStoreCallTimeout()
        .defaultConfig(
            IdempotencyConfig.custom()
                .leaseDuration(LEASE)
                .retention(RETENTION)
                .disableLeaseRenewal()
                .build())
        .build();
  }

  private static void run(Idempotency engine, String clientKey) {
    IdempotencyResult<StoredOutcome> r =
        engine.execute(IdempotencyKey.of("rt", "op", clientKey), FP, () -> OUTCOME);
    assertThat(r.status()).isEqualTo(IdempotencyResult.Status.STORED);
  }

  private static long wal(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String token(ClaimResult r) {
    return ((ClaimResult.Acquired) r).ownerToken();
  }

  private void execute(String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private List<String> columns(String table) throws SQLException {
    return strings(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
            + " ORDER BY ordinal_position",
        table);
  }

  private List<String> indexes(String table) throws SQLException {
    return strings("SELECT indexname FROM pg_indexes WHERE tablename = ?", table);
  }

  private List<String> strings(String sql, String table) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }
}
