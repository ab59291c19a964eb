package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The SQL quoted in {@link JdbcIdempotencyStore}'s Javadoc is the SQL each dialect sends: every
 * fragment below is copied from that Javadoc, and a change of either side fails here.
 */
class JdbcIdempotencyStoreSqlDocTest {

  private static Dialect dialect(String product, String version, boolean partitioned) {
    return Dialect.detect(product, version, "t", partitioned, 3);
  }

  private static String normalized(String sql) {
    return sql.replaceAll("\\s+", " ");
  }

  @Test
  void postgresClaimReadsTheLiveRowFirstAndInsertsOnlyWithoutOne() {
    String sql = normalized(dialect("PostgreSQL", "15", false).claimSql());
    assertThat(sql)
        .startsWith("WITH live AS (SELECT ")
        .contains(
            "FROM t t WHERE t.key_hash = ? AND t.expires_at > ?), claimed AS (INSERT INTO t AS r (")
        .contains(
            "WHERE NOT EXISTS (SELECT 1 FROM live) AND set_config('synchronous_commit', 'off',"
                + " true) IS NOT NULL ON CONFLICT")
        .contains("ON CONFLICT (key_hash) DO UPDATE SET")
        .contains("WHERE r.expires_at <= EXCLUDED.created_at RETURNING ")
        .contains("FROM claimed UNION ALL SELECT ")
        .endsWith("FROM live");
  }

  /** The batch insert quoted in {@link PostgresDialect}'s Javadoc, V2 and V1. */
  @Test
  void postgresBatchInsertIsOneInsertSelectFromUnnestInKeyHashOrder() {
    String v2 =
        normalized(
            ((PostgresDialect) dialect("PostgreSQL", "15", false)).insertCompletedBatchSql());
    assertThat(v2)
        .startsWith("INSERT INTO t (key_hash, scope, operation, client_key, state, owner_token,")
        .contains(
            ", result_code, metadata, body) SELECT decode(k.h, 'hex'), k.s, k.o, k.ck, 'C', ?,"
                + " decode(k.f, 'hex'), ?, ?, ?, ?, ?, ?")
        .contains(
            " FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[])"
                + " AS k(h, s, o, ck, f) ORDER BY k.h")
        .endsWith(" ON CONFLICT (key_hash) DO NOTHING RETURNING encode(key_hash, 'hex')");
    String v1 =
        normalized(new PostgresDialect("t", 3, RowFormat.V1_HEX, true).insertCompletedBatchSql());
    assertThat(v1)
        .contains("SELECT k.h, k.s, k.o, k.ck, 'C', ?, k.f, ?, ?, ?, ?, ?")
        .endsWith(" ON CONFLICT (key_hash) DO NOTHING RETURNING key_hash");
    assertThat(dialect("PostgreSQL", "15", true).supportsInsertCompleted()).isFalse();
  }

  @Test
  void partitionedClaimCallsTheLayoutsFunction() {
    assertThat(dialect("PostgreSQL", "15", true).claimSql())
        .startsWith("SELECT ")
        .endsWith("FROM t_claim(?, ?, ?, ?, ?, ?, ?, ?, ?)");
  }

  @Test
  void mariaDbClaimIsTheUpsertWithReturningAndMySqlsIsTheUpsertAlone() {
    String maria = dialect("MariaDB", "10.11.19-MariaDB", false).claimSql();
    String mysql = dialect("MySQL", "8.0.36", false).claimSql();
    assertThat(maria)
        .contains("ON DUPLICATE KEY UPDATE")
        .contains("owner_token = IF(expires_at <= VALUES(created_at), VALUES(owner_token),")
        .endsWith(
            "expires_at = IF(expires_at <= VALUES(created_at), VALUES(expires_at), expires_at)"
                + " RETURNING "
                + Dialect.RETURNED);
    assertThat(mysql).isEqualTo(maria.substring(0, maria.indexOf(" RETURNING ")));
  }

  @Test
  void h2ClaimIsAMergeInsideFinalTable() {
    assertThat(dialect("H2", "2.4.240", false).claimSql())
        .contains("FROM FINAL TABLE (MERGE INTO t r USING (VALUES (")
        .contains("WHEN NOT MATCHED THEN INSERT (")
        .contains("WHEN MATCHED THEN UPDATE SET")
        .contains("state = CASE WHEN r.expires_at <= s.created_at THEN s.state ELSE r.state END");
  }

  @Test
  void completeReleaseAndRenewAreTheDocumentedCompareAndSets() {
    for (Dialect d :
        List.of(
            dialect("PostgreSQL", "15", false),
            dialect("MariaDB", "10.11.19-MariaDB", false),
            dialect("H2", "2.4.240", false))) {
      assertThat(d.format).isEqualTo(RowFormat.V2_BINARY);
      assertThat(d.compareAndSetSql())
          .containsExactly(
              "UPDATE t SET state = 'C', expires_at = ?, purge_at = GREATEST(purge_at, ?),"
                  + " result_code = ?, metadata = ?, body = ? WHERE key_hash = ? AND owner_token"
                  + " = ? AND state = 'P' AND expires_at > ?",
              "DELETE FROM t WHERE key_hash = ? AND owner_token = ? AND state = 'P' AND"
                  + " expires_at > ?",
              "UPDATE t SET expires_at = ?, purge_at = GREATEST(purge_at, ?) WHERE key_hash = ?"
                  + " AND owner_token = ? AND state = 'P' AND expires_at > ?");
      assertThat(d.queryTimeoutSeconds()).isEqualTo(3);
    }
  }

  @Test
  void theRowFormatOf010KeepsThe010Statements() {
    Dialect d = Dialect.detect("PostgreSQL", "15", "t", false, 0, RowFormat.V1_HEX, false);
    assertThat(d.compareAndSetSql())
        .containsExactly(
            "UPDATE t SET state = 'C', expires_at = ?, result_code = ?, metadata = ?, body = ?"
                + " WHERE key_hash = ? AND owner_token = ? AND state = 'P' AND expires_at > ?",
            "DELETE FROM t WHERE key_hash = ? AND owner_token = ? AND state = 'P' AND"
                + " expires_at > ?",
            "UPDATE t SET expires_at = ? WHERE key_hash = ? AND owner_token = ? AND state = 'P'"
                + " AND expires_at > ?");
    assertThat(d.claimSql()).doesNotContain("purge_at").doesNotContain("synchronous_commit");
    assertThat(d.purgeSql()).contains("WHERE expires_at <= ? ORDER BY expires_at");
    assertThat(dialect("PostgreSQL", "15", false).purgeSql())
        .contains("WHERE purge_at <= ? ORDER BY purge_at")
        .endsWith("AND purge_at <= ?");
    assertThat(dialect("PostgreSQL", "15", false).claimSql())
        .contains("purge_at = EXCLUDED.purge_at");
    assertThat(dialect("PostgreSQL", "15", true).format).isEqualTo(RowFormat.V1_HEX);
  }

  @Test
  void dialectsAreImmutable() {
    for (Dialect d :
        List.of(
            dialect("PostgreSQL", "15", false),
            dialect("PostgreSQL", "15", true),
            dialect("MariaDB", "10.11.19-MariaDB", false),
            dialect("MySQL", "8.0.36", false),
            dialect("H2", "2.4.240", false))) {
      for (Class<?> type = d.getClass(); type != Object.class; type = type.getSuperclass()) {
        for (var field : type.getDeclaredFields()) {
          assertThat(java.lang.reflect.Modifier.isFinal(field.getModifiers()))
              .as("%s.%s is final", type.getSimpleName(), field.getName())
              .isTrue();
        }
      }
    }
  }
}
