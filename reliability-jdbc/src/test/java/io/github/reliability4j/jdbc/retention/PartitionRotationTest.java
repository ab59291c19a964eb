package io.github.reliability4j.jdbc.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.test.idempotency.MutableClock;
import io.github.reliability4j.test.services.Services;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Partition rotation on the machine's PostgreSQL 15 and MariaDB. */
class PartitionRotationTest {

  MutableClock clock = MutableClock.at(Instant.parse("2030-01-10T12:00:00Z"));

  PartitionRotation.Builder rotation(String t) {
    return PartitionRotation.custom().table(t).behind(1).ahead(2).retain(3);
  }

  @Test
  void postgresCreatesAheadDetachesAndDropsOrKeeps() throws Exception {
    String t = RetentionTables.unique("rot_pg");
    try (Connection c = DriverManager.getConnection(Services.postgresJdbcUrl());
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE " + t + " (id bigint, created_at date) PARTITION BY RANGE (created_at)");
      try {
        PartitionRotation.RotationResult first = rotation(t).build().rotate(c, clock);
        assertThat(first.created())
            .containsExactly(
                t + "_p20300109", t + "_p20300110", t + "_p20300111", t + "_p20300112");
        assertThat(rotation(t).build().rotate(c, clock).created()).as("idempotent").isEmpty();
        st.execute(
            "INSERT INTO " + t + " VALUES (1, '2030-01-09'), (2, '2030-01-10'), (3, '2030-01-12')");

        clock.advance(Duration.ofDays(3)); // 2030-01-13: 09 and 10 are 3+ days old
        List<String> vetoed = new ArrayList<>();
        PartitionRotation.RotationResult guarded =
            rotation(t)
                .guard(
                    (conn, p) -> {
                      vetoed.add(p);
                      return !p.endsWith("20300110");
                    })
                .build()
                .rotate(c, clock);
        assertThat(guarded.created())
            .containsExactly(t + "_p20300113", t + "_p20300114", t + "_p20300115");
        assertThat(guarded.removed()).containsExactly(t + "_p20300109");
        assertThat(guarded.retained()).containsExactly(t + "_p20300110");
        assertThat(count(st, "SELECT count(*) FROM " + t)).isEqualTo(2);
        assertThat(count(st, "SELECT count(*) FROM pg_class WHERE relname = '" + t + "_p20300109'"))
            .as("dropped")
            .isZero();

        PartitionRotation.RotationResult kept =
            rotation(t)
                .onExpired(PartitionRotation.Expired.DETACH_AND_KEEP)
                .build()
                .rotate(c, clock);
        assertThat(kept.removed()).containsExactly(t + "_p20300110");
        assertThat(count(st, "SELECT count(*) FROM " + t)).isEqualTo(1);
        assertThat(count(st, "SELECT count(*) FROM " + t + "_p20300110"))
            .as("detached and kept as an archive table")
            .isEqualTo(1);
        st.execute("DROP TABLE " + t + "_p20300110");
      } finally {
        st.execute("DROP TABLE IF EXISTS " + t + " CASCADE");
      }
    }
  }

  @Test
  void mariaDbSplitsTheCatchAllAndDropsOrConvertsPartitions() throws Exception {
    String t = RetentionTables.unique("rot_mdb");
    try (Connection c = DriverManager.getConnection(Services.mariaDbJdbcUrl());
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE "
              + t
              + " (id BIGINT NOT NULL, created_at DATE NOT NULL, PRIMARY KEY (id, created_at))"
              + " PARTITION BY RANGE COLUMNS(created_at) (PARTITION pmax VALUES LESS THAN (MAXVALUE))");
      try {
        PartitionRotation.RotationResult first = rotation(t).build().rotate(c, clock);
        assertThat(first.created())
            .containsExactly("p20300109", "p20300110", "p20300111", "p20300112");
        assertThat(rotation(t).build().rotate(c, clock).created()).isEmpty();
        st.execute(
            "INSERT INTO "
                + t
                + " VALUES (1, '2030-01-09'), (2, '2030-01-10'), (3, '2030-01-12'), (4, '2031-01-01')");
        assertThat(count(st, "SELECT count(*) FROM " + t + " PARTITION (pmax)")).isEqualTo(1);

        clock.advance(Duration.ofDays(3));
        PartitionRotation.RotationResult second = rotation(t).build().rotate(c, clock);
        assertThat(second.created()).containsExactly("p20300113", "p20300114", "p20300115");
        assertThat(second.removed()).containsExactly("p20300109", "p20300110");
        assertThat(count(st, "SELECT count(*) FROM " + t)).isEqualTo(2);
        assertThat(count(st, "SELECT count(*) FROM " + t + " PARTITION (pmax)"))
            .as("the catch-all keeps rows beyond the created partitions")
            .isEqualTo(1);

        clock.advance(Duration.ofDays(3));
        PartitionRotation.RotationResult kept =
            rotation(t)
                .onExpired(PartitionRotation.Expired.DETACH_AND_KEEP)
                .build()
                .rotate(c, clock);
        assertThat(kept.removed()).containsExactly("p20300111", "p20300112", "p20300113");
        assertThat(count(st, "SELECT count(*) FROM " + t + "_p20300112")).isEqualTo(1);
        for (String p : kept.removed()) {
          st.execute("DROP TABLE IF EXISTS " + t + "_" + p);
        }
      } finally {
        st.execute("DROP TABLE IF EXISTS " + t);
      }
    }
  }

  @Test
  void mariaDbWithoutACatchAllIsRefusedWithTheFix() throws Exception {
    String t = RetentionTables.unique("rot_nomax");
    try (Connection c = DriverManager.getConnection(Services.mariaDbJdbcUrl());
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE "
              + t
              + " (id BIGINT NOT NULL, created_at DATE NOT NULL, PRIMARY KEY (id, created_at))"
              + " PARTITION BY RANGE COLUMNS(created_at) (PARTITION p0 VALUES LESS THAN ('2000-01-01'))");
      try {
        assertThatThrownBy(() -> rotation(t).build().rotate(c, clock))
            .hasMessage(
                "Table "
                    + t
                    + " has no catch-all partition pmax VALUES LESS THAN (MAXVALUE): add it, e.g."
                    + " ALTER TABLE "
                    + t
                    + " ADD PARTITION (PARTITION pmax VALUES LESS THAN (MAXVALUE))");
      } finally {
        st.execute("DROP TABLE IF EXISTS " + t);
      }
    }
  }

  @Test
  void settingsAreValidated() {
    assertThatThrownBy(() -> PartitionRotation.custom().table("t").behind(3).retain(3).build())
        .hasMessage("behind (3) must be less than retain (3)");
    assertThatThrownBy(() -> PartitionRotation.custom().retain(0))
        .hasMessage("retain must be at least 1, but was 0");
    assertThatThrownBy(() -> PartitionRotation.custom().table("a;b"))
        .hasMessage("table must be a plain or schema-qualified identifier, but was 'a;b'");
  }

  private static long count(Statement st, String sql) throws Exception {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
