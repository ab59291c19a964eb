package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.test.idempotency.MutableClock;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** The bad inputs: each has a defined, documented outcome. */
@ReplicatedPostgres(replicas = 0)
class JdbcIdempotencyStoreBadInputTest {

  private final PostgresCluster cluster;

  JdbcIdempotencyStoreBadInputTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  private static final RequestFingerprint FP = RequestFingerprint.sha256("r");
  private static final IdempotencyKey KEY = IdempotencyKey.of("s", "op", "k");

  /** A stub DataSource whose database claims to be {@code product}. */
  private static DataSource databaseCalled(String product) {
    DatabaseMetaData md =
        (DatabaseMetaData)
            Proxy.newProxyInstance(
                JdbcIdempotencyStoreBadInputTest.class.getClassLoader(),
                new Class<?>[] {DatabaseMetaData.class},
                (p, m, a) ->
                    switch (m.getName()) {
                      case "getDatabaseProductName" -> product;
                      case "getDatabaseProductVersion" -> "3.45.0";
                      default -> throw new UnsupportedOperationException(m.getName());
                    });
    Connection c =
        (Connection)
            Proxy.newProxyInstance(
                JdbcIdempotencyStoreBadInputTest.class.getClassLoader(),
                new Class<?>[] {Connection.class},
                (p, m, a) ->
                    switch (m.getName()) {
                      case "getMetaData" -> md;
                      case "close" -> null;
                      case "getAutoCommit" -> true;
                      default -> throw new UnsupportedOperationException(m.getName());
                    });
    return (DataSource)
        Proxy.newProxyInstance(
            JdbcIdempotencyStoreBadInputTest.class.getClassLoader(),
            new Class<?>[] {DataSource.class},
            (p, m, a) -> {
              if (m.getName().equals("getConnection")) {
                return c;
              }
              throw new UnsupportedOperationException(m.getName());
            });
  }

  @Test
  void unsupportedDatabaseIsNamedWithTheSupportedOnes() {
    assertThatThrownBy(() -> JdbcIdempotencyStore.create(databaseCalled("SQLite")))
        .isInstanceOfSatisfying(
            UnsupportedDatabaseException.class,
            e -> {
              assertThat(e.getProductName()).isEqualTo("SQLite");
              assertThat(e.getSupportedProducts())
                  .containsExactly("PostgreSQL", "MariaDB", "MySQL", "H2");
              assertThat(e)
                  .hasMessageContaining("'SQLite'")
                  .hasMessageContaining("PostgreSQL, MariaDB, MySQL, H2");
            });
  }

  @Test
  void dialectDetectionByProductName() {
    assertThat(Dialect.detect("PostgreSQL", "15.2", "t").name()).isEqualTo("PostgreSQL");
    assertThat(Dialect.detect("MariaDB", "10.11.19-MariaDB", "t").name()).isEqualTo("MariaDB");
    // MySQL Connector/J against a MariaDB server
    assertThat(Dialect.detect("MySQL", "5.5.5-10.11.19-MariaDB", "t").name()).isEqualTo("MariaDB");
    assertThat(Dialect.detect("MySQL", "8.0.36", "t").name()).isEqualTo("MySQL");
    assertThat(Dialect.detect("H2", "2.4.240 (2025-09-22)", "t").name()).isEqualTo("H2");
    assertThatThrownBy(() -> Dialect.detect("Oracle", "19c", "t"))
        .isInstanceOf(UnsupportedDatabaseException.class);
  }

  @Test
  void databaseDownAtStartIsDeferredAndEveryOperationThrowsTheStoreException() {
    AtomicBoolean down = new AtomicBoolean(true);
    DataSource h2 = TestDatabases.h2();
    DataSource flaky =
        (DataSource)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {DataSource.class},
                (p, m, a) -> {
                  if (m.getName().equals("getConnection") && down.get()) {
                    throw new SQLTransientConnectionException(
                        "Connection is not available, request timed out after 30000ms", "08001");
                  }
                  return m.invoke(h2, a);
                });
    String table = "idem_down";
    JdbcIdempotencyStore store =
        JdbcIdempotencyStore.create(
            flaky,
            JdbcIdempotencyStoreConfig.custom().tableName(table).initializeSchema(true).build());
    assertThat(store.getDialectName()).isEmpty();

    assertThatThrownBy(() -> store.claim(KEY, FP, Duration.ofSeconds(5)))
        .isInstanceOf(IdempotencyStoreException.class)
        .hasMessageContaining("claim")
        .hasMessageContaining(table)
        .hasMessageContaining("08001")
        .hasCauseInstanceOf(SQLTransientConnectionException.class);
    assertThatThrownBy(() -> store.find(KEY)).isInstanceOf(IdempotencyStoreException.class);
    assertThatThrownBy(() -> store.release(KEY, "t")).isInstanceOf(IdempotencyStoreException.class);
    assertThatThrownBy(() -> store.renew(KEY, "t", Duration.ofSeconds(1)))
        .isInstanceOf(IdempotencyStoreException.class);
    assertThatThrownBy(store::purgeExpired).isInstanceOf(IdempotencyStoreException.class);
    assertThatThrownBy(store::ping).isInstanceOf(IdempotencyStoreException.class);

    down.set(false);
    assertThat(store.claim(KEY, FP, Duration.ofSeconds(5)))
        .isInstanceOf(ClaimResult.Acquired.class);
    assertThat(store.getDialectName()).contains("H2");
  }

  @Test
  void unreachableServerThrowsTheStoreException() {
    PGSimpleDataSource nowhere = new PGSimpleDataSource();
    nowhere.setURL("jdbc:postgresql://127.0.0.1:1/none?user=postgres&connectTimeout=2");
    JdbcIdempotencyStore store = JdbcIdempotencyStore.create(nowhere);
    assertThatThrownBy(() -> store.claim(KEY, FP, Duration.ofSeconds(5)))
        .isInstanceOf(IdempotencyStoreException.class)
        .hasCauseInstanceOf(SQLException.class);
  }

  @Test
  void statementTimeoutThrowsTheStoreExceptionAndTheKeyStaysUsable() throws Exception {
    DataSource pg = cluster.primary().dataSource();
    String table = TestDatabases.uniqueTable("idem_timeout");
    MutableClock clock = MutableClock.create();
    JdbcIdempotencyStore store =
        JdbcIdempotencyStore.create(
            pg,
            JdbcIdempotencyStoreConfig.custom()
                .tableName(table)
                .clock(clock)
                .queryTimeout(Duration.ofSeconds(1))
                .initializeSchema(true)
                .build());
    try (Connection blocker = pg.getConnection()) {
      blocker.setAutoCommit(false);
      try (Statement st = blocker.createStatement()) {
        st.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
      }
      CompletableFuture<Throwable> claim =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  store.claim(KEY, FP, Duration.ofSeconds(30));
                  return null;
                } catch (Throwable t) {
                  return t;
                }
              });
      Throwable failure = claim.get(60, TimeUnit.SECONDS);
      assertThat(failure)
          .isInstanceOf(IdempotencyStoreException.class)
          .hasMessageContaining("57014"); // query_canceled
      blocker.rollback();
    }
    assertThat(store.claim(KEY, FP, Duration.ofSeconds(30)))
        .isInstanceOf(ClaimResult.Acquired.class);
    TestDatabases.dropTable(pg, table);
  }

  @Test
  void invalidTableNamesAreRejected() {
    for (String bad :
        new String[] {
          "orders; DROP TABLE users",
          "a-b",
          "1abc",
          "",
          " t",
          "\"quoted\"",
          "a.b.c",
          "t--",
          "x".repeat(JdbcIdempotencyStoreConfig.MAX_TABLE_NAME_LENGTH + 1)
        }) {
      assertThatThrownBy(() -> JdbcIdempotencyStoreConfig.custom().tableName(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tableName");
      assertThatThrownBy(() -> JdbcIdempotencySchema.statements(JdbcIdempotencySchema.H2, bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(JdbcIdempotencyStoreConfig.custom().tableName("app.idem_1").build().getTableName())
        .isEqualTo("app.idem_1");
    assertThat(
            JdbcIdempotencyStoreConfig.custom()
                .tableName("x".repeat(JdbcIdempotencyStoreConfig.MAX_TABLE_NAME_LENGTH))
                .build()
                .getTableName())
        .hasSize(JdbcIdempotencyStoreConfig.MAX_TABLE_NAME_LENGTH);
  }

  @Test
  void schemaQualifiedTableNameKeepsIndexNamesUnqualified() {
    assertThat(JdbcIdempotencySchema.statements(JdbcIdempotencySchema.POSTGRESQL, "app.idem"))
        .anySatisfy(s -> assertThat(s).startsWith("CREATE TABLE IF NOT EXISTS app.idem ("))
        .anySatisfy(s -> assertThat(s).contains("CONSTRAINT idem_pk PRIMARY KEY"))
        .anySatisfy(
            s ->
                assertThat(s)
                    .startsWith("CREATE INDEX IF NOT EXISTS idem_purge_idx")
                    .contains("ON app.idem (purge_at)"))
        .allSatisfy(
            s -> assertThat(s).doesNotContain("reliability_idempotency").doesNotContain("--"));
  }

  @Test
  void invalidSettingsAreRejectedWithTheirRange() {
    var b = JdbcIdempotencyStoreConfig.custom();
    assertThatThrownBy(() -> b.maxBodyBytes(-1))
        .hasMessage("maxBodyBytes must be zero or positive, but was -1");
    assertThatThrownBy(() -> b.maxMetadataBytes(70_000))
        .hasMessage("maxMetadataBytes must be in 0..61440, but was 70000");
    assertThatThrownBy(() -> b.purgeBatchSize(0))
        .hasMessage("purgeBatchSize must be in 1..100000, but was 0");
    assertThatThrownBy(() -> b.purgeMaxBatches(0))
        .hasMessage("purgeMaxBatches must be at least 1, but was 0");
    assertThatThrownBy(() -> b.queryTimeout(Duration.ofSeconds(-1)))
        .hasMessage("queryTimeout must be zero or positive, but was PT-1S");
    JdbcIdempotencyStore store =
        JdbcIdempotencyStore.create(
            TestDatabases.h2(), JdbcIdempotencyStoreConfig.custom().initializeSchema(true).build());
    assertThatThrownBy(() -> store.claim(KEY, FP, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("leaseDuration must be at least 1ms, but was PT0S");
    assertThatThrownBy(
            () ->
                store.complete(
                    KEY,
                    "t",
                    io.github.reliability4j.core.idempotency.StoredOutcome.ok("x"),
                    Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retention");
  }
}
