package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.test.idempotency.MutableClock;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL partition-per-day layout on embedded PostgreSQL: partitions are created ahead,
 * whole expired days are dropped instead of deleted, a day with a live row is kept, and claims stay
 * exclusive across the midnight boundary where two rows for one key could otherwise land in two
 * partitions.
 */
@ReplicatedPostgres(replicas = 0)
class PartitionedLayoutTest {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final RequestFingerprint FP = RequestFingerprint.sha256("r");

  private final PostgresCluster cluster;

  PartitionedLayoutTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  private JdbcIdempotencyStore store(DataSource ds, String table, MutableClock clock) {
    return JdbcIdempotencyStore.create(
        ds,
        JdbcIdempotencyStoreConfig.custom()
            .tableName(table)
            .clock(clock)
            .partitionedByDay(true)
            .partitionsAhead(2)
            .initializeSchema(true)
            .build());
  }

  @Test
  void expiredDaysAreDroppedInsteadOfDeletedAndLiveDaysAreKept() throws SQLException {
    DataSource ds = cluster.primary().dataSource();
    String table = TestDatabases.uniqueTable("idem_part");
    MutableClock clock = MutableClock.at(Instant.parse("2030-01-01T12:00:00Z"));
    JdbcIdempotencyStore store = store(ds, table, clock);
    try {
      assertThat(partitions(ds, table))
          .containsExactly(
              table + "_p20291231",
              table + "_p20300101",
              table + "_p20300102",
              table + "_p20300103");

      IdempotencyKey shortLived = IdempotencyKey.of("s", "op", "short");
      IdempotencyKey abandoned = IdempotencyKey.of("s", "op", "abandoned");
      IdempotencyKey longLived = IdempotencyKey.of("s", "op", "long");
      complete(store, shortLived, Duration.ofHours(1));
      assertThat(store.claim(abandoned, FP, LEASE)).isInstanceOf(ClaimResult.Acquired.class);
      complete(store, longLived, Duration.ofDays(3));
      assertThat(rowsIn(ds, table + "_p20300101")).isEqualTo(3);

      clock.set(Instant.parse("2030-01-03T12:00:00Z"));
      PartitionMaintenance first = store.maintainPartitions();
      assertThat(first.created()).containsExactly(table + "_p20300104", table + "_p20300105");
      assertThat(first.dropped()).containsExactly(table + "_p20291231");
      assertThat(first.retained())
          .as("a row there is live until Jan 4")
          .containsExactly(table + "_p20300101");

      // Keys of an old day are taken over into today's partition, never revived in place.
      assertThat(((ClaimResult.Acquired) store.claim(abandoned, FP, LEASE)).takeover()).isTrue();
      assertThat(((ClaimResult.Acquired) store.claim(shortLived, FP, LEASE)).takeover()).isFalse();
      assertThat(rowsIn(ds, table + "_p20300103")).isEqualTo(2);
      assertThat(rowsIn(ds, table + "_p20300101")).isEqualTo(1);
      assertThat(store.claim(longLived, FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);

      clock.set(Instant.parse("2030-01-05T00:00:00Z"));
      PartitionMaintenance second = store.maintainPartitions();
      assertThat(second.dropped())
          .as("days up to two before today whose rows all expired")
          .containsExactly(table + "_p20300101", table + "_p20300102", table + "_p20300103");
      assertThat(second.retained()).isEmpty();
      assertThat(partitions(ds, table)).doesNotContain(table + "_p20300101");
      assertThat(store.find(longLived)).isEmpty();
      assertThat(store.claim(longLived, FP, LEASE)).isInstanceOf(ClaimResult.Acquired.class);
      clock.advance(LEASE);
      assertThat(store.purgeExpired()).as("row-wise purge still works on the layout").isEqualTo(1);
    } finally {
      TestDatabases.dropTableCascade(ds, table);
    }
  }

  @Test
  void duplicateClaimsOfALiveRowLockNothing() throws SQLException {
    DataSource ds = cluster.primary().dataSource();
    String table = TestDatabases.uniqueTable("idem_part_dup");
    MutableClock clock = MutableClock.at(Instant.parse("2030-01-01T12:00:00Z"));
    JdbcIdempotencyStore store = store(ds, table, clock);
    try {
      IdempotencyKey key = IdempotencyKey.of("s", "op", "dup");
      complete(store, key, Duration.ofHours(1));
      long before = xmax(ds, table);
      assertThat(store.claim(key, FP, LEASE)).isInstanceOf(ClaimResult.Completed.class);
      assertThat(store.claim(key, RequestFingerprint.sha256("other"), LEASE))
          .isInstanceOf(ClaimResult.Mismatch.class);
      assertThat(xmax(ds, table)).as("a duplicate must not lock the row").isEqualTo(before);
    } finally {
      TestDatabases.dropTableCascade(ds, table);
    }
  }

  private static long xmax(DataSource ds, String table) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT xmax::text::bigint FROM " + table);
        ResultSet rs = ps.executeQuery()) {
      assertThat(rs.next()).isTrue();
      return rs.getLong(1);
    }
  }

  @Test
  void claimsAcrossMidnightStayExclusive() throws Exception {
    DataSource ds = TestDatabases.pooled(cluster.primary().jdbcUrl(), 16, "midnight");
    String table = TestDatabases.uniqueTable("idem_midnight");
    // Two instances whose clocks straddle midnight: their claims belong to different partitions.
    MutableClock before = MutableClock.at(Instant.parse("2030-02-01T23:59:59.999Z"));
    MutableClock after = MutableClock.at(Instant.parse("2030-02-02T00:00:00.000Z"));
    JdbcIdempotencyStore late = store(ds, table, before);
    JdbcIdempotencyStore early = store(ds, table, after);
    try {
      int threads = 16;
      for (int round = 0; round < 5; round++) {
        IdempotencyKey key = IdempotencyKey.of("s", "op", "midnight-" + round);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<ClaimResult>> results = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          JdbcIdempotencyStore s = i % 2 == 0 ? late : early;
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    return s.claim(key, FP, LEASE);
                  }));
        }
        start.countDown();
        int acquired = 0;
        for (Future<ClaimResult> f : results) {
          if (f.get(60, TimeUnit.SECONDS) instanceof ClaimResult.Acquired) {
            acquired++;
          }
        }
        pool.shutdown();
        assertThat(acquired).as("round " + round).isEqualTo(1);
      }
    } finally {
      TestDatabases.dropTableCascade(ds, table);
    }
  }

  /**
   * Deterministic version of the midnight race: another session holds the key's advisory lock and
   * inserts the key into the next day's partition while a claim from before midnight is running.
   * The claim must wait for the lock and then see that row; without the lock it would insert a
   * second row into its own day's partition and acquire the key a second time.
   */
  @Test
  void claimWaitsForTheKeyLockAndSeesARowInAnotherDaysPartition() throws Exception {
    DataSource ds = cluster.primary().dataSource();
    String table = TestDatabases.uniqueTable("idem_lock");
    MutableClock before = MutableClock.at(Instant.parse("2030-02-01T23:59:59.999Z"));
    JdbcIdempotencyStore late = store(ds, table, before);
    IdempotencyKey key = IdempotencyKey.of("s", "op", "locked");
    String keyHash = KeyHash.of(key.scope(), key.operation(), key.clientKey());
    try (Connection other = ds.getConnection()) {
      other.setAutoCommit(false);
      try (PreparedStatement ps =
          other.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))")) {
        ps.setString(1, table + ":" + keyHash);
        ps.execute();
      }
      CompletableFuture<ClaimResult> claim =
          CompletableFuture.supplyAsync(() -> late.claim(key, FP, LEASE));
      awaitWaitingOnAdvisoryLock(ds);
      long otherNow = Instant.parse("2030-02-02T00:00:00Z").toEpochMilli();
      try (PreparedStatement ps =
          other.prepareStatement(
              "INSERT INTO "
                  + table
                  + " (key_hash, scope, operation, client_key, state, owner_token, fingerprint,"
                  + " created_at, expires_at, created_day)"
                  + " VALUES (?, 's', 'op', 'locked', 'P', 'other-owner', ?, ?, ?, '2030-02-02')")) {
        ps.setString(1, keyHash);
        ps.setString(2, FP.hex());
        ps.setLong(3, otherNow);
        ps.setLong(4, otherNow + LEASE.toMillis());
        ps.executeUpdate();
      }
      other.commit();
      assertThat(claim.get(30, TimeUnit.SECONDS)).isInstanceOf(ClaimResult.InProgress.class);
    } finally {
      TestDatabases.dropTableCascade(ds, table);
    }
  }

  private static void awaitWaitingOnAdvisoryLock(DataSource ds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event = 'advisory'")) {
      while (System.nanoTime() < deadline) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getInt(1) > 0) {
            return;
          }
        }
        Thread.sleep(5);
      }
    }
    throw new AssertionError("the claim never waited for the key's advisory lock");
  }

  @Test
  void partitionedLayoutIsRefusedOnOtherDatabasesAndMaintenanceOnThePlainLayout() {
    assertThatThrownBy(
            () ->
                JdbcIdempotencyStore.create(
                    TestDatabases.h2(),
                    JdbcIdempotencyStoreConfig.custom().partitionedByDay(true).build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("partitionedByDay requires PostgreSQL 11+, but the database is H2");
    JdbcIdempotencyStore plain =
        JdbcIdempotencyStore.create(
            TestDatabases.h2(), JdbcIdempotencyStoreConfig.custom().initializeSchema(true).build());
    assertThatThrownBy(plain::maintainPartitions)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("partitionedByDay(true)");
  }

  private static void complete(JdbcIdempotencyStore store, IdempotencyKey key, Duration retention) {
    String owner = ((ClaimResult.Acquired) store.claim(key, FP, LEASE)).ownerToken();
    assertThat(store.complete(key, owner, StoredOutcome.ok("done"), retention)).isTrue();
  }

  private static List<String> partitions(DataSource ds, String table) throws SQLException {
    List<String> names = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT child.relname FROM pg_inherits i JOIN pg_class child"
                    + " ON child.oid = i.inhrelid WHERE i.inhparent = ?::regclass"
                    + " ORDER BY child.relname")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
    }
    return names;
  }

  private static long rowsIn(DataSource ds, String partition) throws SQLException {
    try (Connection c = ds.getConnection();
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM " + partition)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
