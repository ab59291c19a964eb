package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@ReplicatedPostgres(replicas = 0)
class EmbeddedPostgresJdbcIdempotencyStoreTest extends AbstractJdbcIdempotencyStoreTest {

  private final PostgresCluster cluster;

  EmbeddedPostgresJdbcIdempotencyStoreTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  @Override
  DataSource dataSource() {
    return cluster.primary().dataSource();
  }

  @Override
  String expectedDialect() {
    return "PostgreSQL";
  }

  /**
   * A retry must not write: {@code INSERT ... ON CONFLICT DO UPDATE ... WHERE false} would still
   * lock the row (xmax set, a WAL record and a transaction ID per duplicate).
   */
  @Test
  void duplicateClaimsOfALiveRowLockNothing() throws SQLException {
    IdempotencyKey completed = newKey();
    String owner = token(store.claim(completed, FP, LEASE));
    assertThat(store.complete(completed, owner, StoredOutcome.ok("done"), RETENTION)).isTrue();
    IdempotencyKey inProgress = newKey();
    token(store.claim(inProgress, FP, LEASE));
    long xmaxCompleted = xmax(completed);
    long xmaxInProgress = xmax(inProgress);

    assertThat(store.claim(completed, FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);
    assertThat(store.claim(completed, OTHER_FP, LEASE)).isInstanceOf(ClaimResult.Mismatch.class);
    assertThat(store.claim(inProgress, FP, LEASE)).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(store.claim(inProgress, OTHER_FP, LEASE)).isInstanceOf(ClaimResult.Mismatch.class);

    assertThat(xmax(completed)).as("xmax of the completed row").isEqualTo(xmaxCompleted);
    assertThat(xmax(inProgress)).as("xmax of the in-progress row").isEqualTo(xmaxInProgress);
  }

  private long xmax(IdempotencyKey key) throws SQLException {
    try (Connection c = raw.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT xmax::text::bigint FROM "
                    + table
                    + " WHERE client_key = ? AND scope = ?")) {
      ps.setString(1, key.clientKey());
      ps.setString(2, key.scope());
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return rs.getLong(1);
      }
    }
  }
}
