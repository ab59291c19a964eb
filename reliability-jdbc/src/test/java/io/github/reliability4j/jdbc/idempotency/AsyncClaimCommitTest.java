package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.test.services.Services;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * On PostgreSQL the claim turns {@code synchronous_commit} off for its own transaction only: inside
 * that transaction the setting is off, after it the pooled session has its own value again, and
 * {@code durableClaims(true)} leaves the setting alone.
 */
class AsyncClaimCommitTest {

  private static final RequestFingerprint FP = RequestFingerprint.sha256("p");
  private static final Duration LEASE = Duration.ofSeconds(30);

  @Test
  void theClaimSetsSynchronousCommitOffForItsTransactionOnly() throws Exception {
    DataSource pool = TestDatabases.pooled(Services.postgresJdbcUrl(), 1, "async-claim");
    String table = TestDatabases.uniqueTable("idem_async");
    try {
      JdbcIdempotencyStore store =
          JdbcIdempotencyStore.create(
              pool,
              JdbcIdempotencyStoreConfig.custom().tableName(table).initializeSchema(true).build());
      String before = setting(pool);
      ClaimResult r = store.claim(IdempotencyKey.of("t", "op", "k1"), FP, LEASE, LEASE);
      assertThat(r).isInstanceOf(ClaimResult.Acquired.class);
      assertThat(setting(pool))
          .as("the one pooled session keeps its own setting")
          .isEqualTo(before);

      assertThat(settingInsideAClaim(pool, table, true, "k2")).isEqualTo("off");
      assertThat(settingInsideAClaim(pool, table, false, "k3"))
          .as("durableClaims(true)")
          .isEqualTo(before);
      assertThat(setting(pool)).isEqualTo(before);
    } finally {
      TestDatabases.dropTable(pool, table);
    }
  }

  /** Runs the dialect's claim in an open transaction and reads the setting before committing. */
  private static String settingInsideAClaim(DataSource ds, String table, boolean async, String k)
      throws SQLException {
    Dialect d = Dialect.detect("PostgreSQL", "15", table, false, 0, RowFormat.V2_BINARY, async);
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      long now = System.currentTimeMillis();
      StoredRow row =
          d.claim(
              c,
              new Dialect.ClaimParams(
                  KeyHash.digest("t", "op", k),
                  "t",
                  "op",
                  k,
                  "tok-" + k,
                  FP.bytes(),
                  now,
                  now + 30_000,
                  now + 60_000));
      assertThat(row.ownerToken()).isEqualTo("tok-" + k);
      String inside = show(c);
      c.commit();
      c.setAutoCommit(true);
      return inside;
    }
  }

  private static String setting(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return show(c);
    }
  }

  private static String show(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW synchronous_commit")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
