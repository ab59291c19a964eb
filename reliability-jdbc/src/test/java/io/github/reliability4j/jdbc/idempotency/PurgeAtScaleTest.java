package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.test.idempotency.MutableClock;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Purging 100,000 expired rows: bounded batches, unexpired rows untouched, and the batch statement
 * reaches rows through the purge index ({@code purge_at}) rather than a table scan. Rows are
 * inserted with one {@code INSERT ... SELECT} each, not 100,000 round trips.
 */
@ReplicatedPostgres(replicas = 0)
class PurgeAtScaleTest {

  private final PostgresCluster cluster;

  PurgeAtScaleTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  private static final int EXPIRED = 100_000;
  private static final int LIVE = 2_000;
  private static final int BATCH = 5_000;

  private final MutableClock clock = MutableClock.create();

  @Test
  void purges100kExpiredRowsInBatchesOnEmbeddedPostgres() throws SQLException {
    String seriesSql =
        "SELECT decode(md5(g::text) || md5((g + 1)::text), 'hex'), 's', 'op', g::text, 'C',"
            + " 'owner', 'fp', ?, ?, ?"
            + " FROM generate_series(1, %d) g";
    run(cluster.primary().dataSource(), "pg", seriesSql);
  }

  @Test
  void purges100kExpiredRowsInBatchesOnMariaDb() throws SQLException {
    String seriesSql =
        "SELECT UNHEX(CONCAT(MD5(seq), MD5(seq + 1))), 's', 'op', seq, 'C', 'owner', 'fp', ?, ?,"
            + " ?"
            + " FROM seq_1_to_%d";
    run(TestDatabases.mariaDb(), "maria", seriesSql);
  }

  private void run(DataSource ds, String prefix, String seriesSql) throws SQLException {
    String table = TestDatabases.uniqueTable("idem_purge_" + prefix);
    CountingDataSource counting = new CountingDataSource(ds);
    JdbcIdempotencyStore store =
        JdbcIdempotencyStore.create(
            counting.dataSource,
            JdbcIdempotencyStoreConfig.custom()
                .tableName(table)
                .clock(clock)
                .initializeSchema(true)
                .purgeBatchSize(BATCH)
                .purgeMaxBatches(1000)
                .build());
    long now = clock.millis();
    try (Connection c = ds.getConnection()) {
      insertSeries(c, table, seriesSql, EXPIRED, now - 10_000, 0);
      insertLive(c, table, now);
      try (Statement st = c.createStatement()) {
        st.execute(prefix.equals("pg") ? "ANALYZE " + table : "ANALYZE TABLE " + table);
      }
      assertThat(purgePlan(c, prefix, table, now)).doesNotContainIgnoringCase("Seq Scan");

      counting.reset();
      assertThat(store.purgeExpired()).isEqualTo(EXPIRED);
      assertThat(counting.reset())
          .as("one statement per batch: %d full batches and one empty", EXPIRED / BATCH)
          .isEqualTo(EXPIRED / BATCH + 1);

      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT COUNT(*), MIN(expires_at) FROM " + table)) {
        rs.next();
        assertThat(rs.getLong(1)).as("unexpired rows untouched").isEqualTo(LIVE);
        assertThat(rs.getLong(2)).isGreaterThan(now);
      }
      assertThat(store.purgeExpired()).isZero();
    } finally {
      TestDatabases.dropTable(ds, table);
    }
  }

  private static void insertSeries(
      Connection c, String table, String seriesSql, int n, long createdAt, int unused)
      throws SQLException {
    String sql =
        "INSERT INTO "
            + table
            + " (key_hash, scope, operation, client_key, state, owner_token, fingerprint,"
            + " created_at, expires_at, purge_at) "
            + String.format(seriesSql, n);
    try (var ps = c.prepareStatement(sql)) {
      ps.setLong(1, createdAt);
      ps.setLong(2, createdAt + 5_000);
      ps.setLong(3, createdAt + 5_000);
      ps.executeUpdate();
    }
  }

  private static void insertLive(Connection c, String table, long now) throws SQLException {
    // Live rows: distinct keys (prefix 'L'), expiring after now, some expiring exactly now + 1.
    String sql =
        "INSERT INTO "
            + table
            + " (key_hash, scope, operation, client_key, state, owner_token, fingerprint,"
            + " created_at, expires_at, purge_at) VALUES (?, 's', 'op', ?, 'P', 'owner', 'fp', ?, ?,"
            + " ?)";
    try (var ps = c.prepareStatement(sql)) {
      for (int i = 0; i < LIVE; i++) {
        ps.setBytes(1, KeyHash.digest("L", "live", Integer.toString(i)));
        ps.setString(2, "live" + i);
        ps.setLong(3, now);
        ps.setLong(4, now + 1 + i);
        ps.setLong(5, now + 1 + i);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static String purgePlan(Connection c, String prefix, String table, long now)
      throws SQLException {
    Dialect dialect = JdbcIdempotencySchema.detect(c, table);
    StringBuilder plan = new StringBuilder();
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + dialect.purgeSql())) {
      ps.setLong(1, now);
      ps.setInt(2, BATCH);
      if (prefix.equals("pg")) {
        ps.setLong(3, now);
      }
      try (ResultSet rs = ps.executeQuery()) {
        int columns = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          for (int i = 1; i <= columns; i++) {
            plan.append(rs.getString(i)).append(' ');
          }
          plan.append('\n');
        }
      }
    }
    // MariaDB reports a full scan as access type ALL.
    String text = plan.toString();
    return prefix.equals("pg") ? text : text.replaceAll("(?m)^\\S+ \\S+ \\S+ ALL ", "Seq Scan ");
  }
}
