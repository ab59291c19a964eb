package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * On PostgreSQL a completion after a claim that carried the retention (what the engine does) is a
 * heap-only-tuple update: it changes no indexed column, so it writes no index entries. Without the
 * hint the completion moves the purge key and is an ordinary update, which shows that the counter
 * read here can tell the two apart. Counted by the server's own statistics, polled with a deadline.
 */
class HotCompletionTest {

  private static final RequestFingerprint FP = RequestFingerprint.sha256("order");
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration RETENTION = Duration.ofHours(24);
  private static final int N = 20;

  @Test
  void aCompletionWithTheClaimsRetentionIsAHotUpdateAndOneWithoutIsNot() throws Exception {
    DataSource ds = TestDatabases.machinePostgres();
    String hinted = TestDatabases.uniqueTable("idem_hot");
    String unhinted = TestDatabases.uniqueTable("idem_nothot");
    try {
      run(ds, hinted, true);
      run(ds, unhinted, false);
      assertThat(awaitUpdates(ds, hinted))
          .as("hot updates / updates with the hint")
          .containsExactly(N, N);
      assertThat(awaitUpdates(ds, unhinted)).as("without the hint").containsExactly(0, N);
    } finally {
      TestDatabases.dropTable(ds, hinted);
      TestDatabases.dropTable(ds, unhinted);
    }
  }

  private static void run(DataSource ds, String table, boolean hint) {
    JdbcIdempotencyStore store =
        JdbcIdempotencyStore.create(
            ds,
            JdbcIdempotencyStoreConfig.custom().tableName(table).initializeSchema(true).build());
    assertThat(store.rowFormat()).isEqualTo("V2_BINARY");
    for (int i = 0; i < N; i++) {
      IdempotencyKey key = IdempotencyKey.of("tenant", "pay", "k" + i);
      ClaimResult r = hint ? store.claim(key, FP, LEASE, RETENTION) : store.claim(key, FP, LEASE);
      String token = ((ClaimResult.Acquired) r).ownerToken();
      assertThat(store.complete(key, token, StoredOutcome.ok("{\"id\":" + i + "}"), RETENTION))
          .isTrue();
    }
  }

  /** [n_tup_hot_upd, n_tup_upd] once the server has published N updates for the table. */
  private static int[] awaitUpdates(DataSource ds, String table) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try (Connection c = ds.getConnection()) {
        try (Statement st = c.createStatement()) {
          st.execute("SELECT pg_stat_clear_snapshot()");
        }
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT n_tup_hot_upd, n_tup_upd FROM pg_stat_user_tables WHERE relname = ?")) {
          ps.setString(1, table);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next() && rs.getInt(2) >= N) {
              return new int[] {rs.getInt(1), rs.getInt(2)};
            }
          }
        }
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the server never published " + N + " updates of " + table);
      }
      Thread.sleep(100);
    }
  }
}
