package io.github.reliability4j.jdbc.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.jdbc.retention.RetentionTables.Db;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Start-up refusals on H2, each with its message; nothing is touched before the check. */
class RetentionStartupChecksTest {

  private static final AtomicInteger DB = new AtomicInteger();
  DataSource ds;

  @BeforeEach
  void setUp() throws Exception {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:retention_checks" + DB.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
    ds = h2;
    RetentionTables.create(ds, Db.H2, "orders", true);
  }

  RetentionPolicy.Builder policy() {
    return RetentionPolicy.custom()
        .table("orders")
        .ageColumn("created_at")
        .maxAge(Duration.ofDays(1));
  }

  RetentionPolicyRejectedException rejected(RetentionPolicy p) {
    RetentionRunner runner = RetentionRunner.builder(ds, p).build();
    RetentionPolicyRejectedException e =
        (RetentionPolicyRejectedException)
            org.assertj.core.api.Assertions.catchThrowable(runner::run);
    assertThat(e).as("run() refuses").isNotNull();
    assertThatThrownBy(runner::plan).isInstanceOf(RetentionPolicyRejectedException.class);
    return e;
  }

  @Test
  void aValidPolicyPasses() throws Exception {
    RetentionRunner.builder(ds, policy().archiveThenDelete("orders_archive").build())
        .build()
        .validate();
  }

  @Test
  void missingTable() {
    RetentionPolicyRejectedException e = rejected(policy().table("nope").build());
    assertThat(e.getTable()).isEqualTo("nope");
    assertThat(e.getColumn()).isNull();
    assertThat(e)
        .hasMessage(
            "Retention policy 'nope' rejected: table nope does not exist (looked in schema"
                + " PUBLIC): create it, or set the policy's table to an existing,"
                + " schema-qualified name");
  }

  @Test
  void missingAgeColumn() {
    RetentionPolicyRejectedException e = rejected(policy().ageColumn("made_at").build());
    assertThat(e.getColumn()).isEqualTo("made_at");
    assertThat(e)
        .hasMessage(
            "Retention policy 'orders' rejected: age column made_at does not exist in table"
                + " orders (columns: [ID, CREATED_AT, STATUS, PAYLOAD]): set ageColumn to the"
                + " timestamp (or epoch-millis) column that says how old a row is");
  }

  @Test
  void primaryKeyThatIsNotThePrimaryKey() {
    RetentionPolicyRejectedException e = rejected(policy().primaryKey("status").build());
    assertThat(e.getColumn()).isEqualTo("status");
    assertThat(e)
        .hasMessage(
            "Retention policy 'orders' rejected: column status is not the single-column primary"
                + " key of table orders (primary key: [ID]): batches page by a unique key; add a"
                + " single-column primary key or set primaryKey to it");
  }

  @Test
  void missingPrimaryKeyColumn() {
    assertThat(rejected(policy().primaryKey("order_id").build()))
        .hasMessageContaining("primary key column order_id does not exist in table orders");
  }

  @Test
  void unindexedAgeColumnUnlessAllowed() throws Exception {
    RetentionTables.exec(ds, "DROP INDEX orders_age");
    RetentionPolicyRejectedException e = rejected(policy().build());
    assertThat(e.getColumn()).isEqualTo("created_at");
    assertThat(e)
        .hasMessage(
            "Retention policy 'orders' rejected: age column created_at of table orders is not"
                + " the leading column of any index, so every batch would scan the table: CREATE"
                + " INDEX ON orders (created_at), or allow it explicitly with"
                + " allowUnindexedAgeColumn(true)");
    RetentionRunner.builder(ds, policy().allowUnindexedAgeColumn(true).build()).build().validate();
  }

  @Test
  void ageColumnOfTheWrongType() {
    assertThat(
            rejected(
                policy()
                    .ageColumn("created_at", RetentionPolicy.AgeType.EPOCH_MILLIS)
                    .allowUnindexedAgeColumn(true)
                    .build()))
        .hasMessage(
            "Retention policy 'orders' rejected: age column created_at of table orders has type"
                + " TIMESTAMP but the policy declares it EPOCH_MILLIS: declare it TIMESTAMP or"
                + " choose another age column");
  }

  @Test
  void missingArchiveTable() {
    RetentionPolicyRejectedException e = rejected(policy().archiveThenDelete("orders_old").build());
    assertThat(e.getTable()).isEqualTo("orders_old");
    assertThat(e)
        .hasMessage(
            "Retention policy 'orders' rejected: archive table orders_old does not exist (looked"
                + " in schema PUBLIC): create it with the columns of orders, e.g. CREATE TABLE"
                + " orders_old AS SELECT * FROM orders WHERE 1 = 0, plus a primary key on id");
  }

  @Test
  void archiveTableLackingAColumn() throws Exception {
    RetentionTables.exec(
        ds, "CREATE TABLE orders_thin (id BIGINT PRIMARY KEY, created_at TIMESTAMP NOT NULL)");
    RetentionPolicyRejectedException e =
        rejected(policy().archiveThenDelete("orders_thin").build());
    assertThat(e.getTable()).isEqualTo("orders_thin");
    assertThat(e.getColumn()).isEqualTo("STATUS");
    assertThat(e)
        .hasMessage(
            "Retention policy 'orders' rejected: archive table orders_thin lacks column(s)"
                + " [STATUS, PAYLOAD] of table orders: add them to the archive table with the same"
                + " names and types");
  }

  @Test
  void invalidExtraCondition() {
    assertThat(rejected(policy().extraCondition("stat = 'DONE'").build()))
        .hasMessageStartingWith(
            "Retention policy 'orders' rejected: extraCondition 'stat = 'DONE'' is not a valid"
                + " condition on table orders (")
        .hasMessageEndingWith("): fix the condition");
  }
}
