package io.github.reliability4j.jdbc.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.jdbc.retention.RetentionTables.Db;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The runner against a real database: archive-then-delete under concurrent writers and readers, a
 * run whose connection is killed mid-way, two runners on one policy, and a start-up refusal. Each
 * test uses its own tables (unique names), so runs from other worktrees never collide.
 */
abstract class AbstractRetentionDatabaseTest {

  static final int BIG = 200_000;

  final List<String> tables = new ArrayList<>();

  abstract Db db();

  /** A pooled DataSource on the database. */
  abstract DataSource dataSource();

  /** A non-pooled DataSource recording the server-side id of every connection it opens. */
  abstract TrackingDataSource trackingDataSource();

  /** Terminates the server connection with this id (from another connection). */
  abstract void kill(long connectionId) throws SQLException;

  String table(String prefix) {
    String t = RetentionTables.unique(prefix);
    tables.add(t);
    tables.add(t + "_archive");
    return t;
  }

  @AfterEach
  void dropTables() {
    RetentionTables.drop(dataSource(), tables.toArray(String[]::new));
  }

  RetentionPolicy.Builder policy(String t) {
    return RetentionPolicy.custom()
        .name(t)
        .table(t)
        .ageColumn("created_at")
        .maxAge(Duration.ofDays(7))
        .archiveThenDelete(t + "_archive")
        .initialBatchSize(500)
        .maxBatchSize(5000)
        .batchTimeBudget(Duration.ofMillis(500))
        .pauseBetweenBatches(Duration.ZERO);
  }

  @Test
  void archiveThenDeleteUnderConcurrentWritersAndReadersLosesAndDuplicatesNothing()
      throws Exception {
    DataSource ds = dataSource();
    String t = table("ret_big");
    RetentionTables.create(ds, db(), t, true);
    RetentionTables.bulkOld(ds, db(), t, BIG, 30);
    Set<Long> original = RetentionTables.ids(ds, t);
    assertThat(original).hasSize(BIG);

    Set<Long> inserted = ConcurrentHashMap.newKeySet();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong reads = new AtomicLong();
    long maxId = original.stream().mapToLong(Long::longValue).max().orElseThrow();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> load = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      load.add(pool.submit(() -> write(ds, t, stop, inserted)));
    }
    for (int r = 0; r < 4; r++) {
      load.add(pool.submit(() -> read(ds, t, stop, reads, maxId)));
    }
    RetentionRun run;
    try {
      run = RetentionRunner.builder(ds, policy(t).build()).build().run();
    } finally {
      stop.set(true);
      pool.shutdown();
      assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    }
    for (Future<?> f : load) {
      f.get();
    }
    assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.COMPLETED);
    assertThat(run.rowsArchived()).isGreaterThanOrEqualTo(BIG);
    assertThat(inserted).as("writers inserted while the runner ran").isNotEmpty();
    assertThat(reads.get()).isPositive();

    Set<Long> live = RetentionTables.ids(ds, t);
    Set<Long> archived = RetentionTables.ids(ds, t + "_archive");
    // plain set operations: AssertJ's containsAll on 200,000 elements is quadratic
    Set<Long> notArchived = new HashSet<>(original);
    notArchived.removeAll(archived);
    assertThat(notArchived).as("every original row archived").isEmpty();
    Set<Long> both = new HashSet<>(live);
    both.retainAll(archived);
    assertThat(both).as("no row in both tables").isEmpty();
    Set<Long> expected = new HashSet<>(original);
    expected.addAll(inserted);
    Set<Long> union = new HashSet<>(live);
    union.addAll(archived);
    Set<Long> lost = new HashSet<>(expected);
    lost.removeAll(union);
    Set<Long> invented = new HashSet<>(union);
    invented.removeAll(expected);
    assertThat(lost).as("no row lost").isEmpty();
    assertThat(invented).as("none invented").isEmpty();
    assertThat(archived.size() + live.size()).isEqualTo(BIG + inserted.size());
    System.out.printf(
        "%s: archived %d rows in %d batches (max batch %d ms) while %d rows were inserted and %d"
            + " reads ran; throttled %d ms%n",
        db(),
        run.rowsArchived(),
        run.batches(),
        run.maxBatchDuration().toMillis(),
        inserted.size(),
        reads.get(),
        run.throttled().toMillis());
  }

  /** A writer: 9 of 10 rows are fresh, 1 in 10 has an old timestamp (eligible or not, by luck). */
  private static Void write(DataSource ds, String t, AtomicBoolean stop, Set<Long> inserted)
      throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO " + t + " (created_at, status, payload) VALUES (?, 'NEW', 'w')",
                new String[] {"id"})) {
      int i = 0;
      while (!stop.get()) {
        Instant at = i++ % 10 == 0 ? Instant.now().minus(Duration.ofDays(30)) : Instant.now();
        ps.setTimestamp(1, Timestamp.from(at));
        ps.executeUpdate();
        try (ResultSet keys = ps.getGeneratedKeys()) {
          keys.next();
          inserted.add(keys.getLong(1));
        }
      }
    }
    return null;
  }

  private static Void read(
      DataSource ds, String t, AtomicBoolean stop, AtomicLong reads, long maxId)
      throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement live =
            c.prepareStatement(
                "SELECT count(*), max(payload) FROM " + t + " WHERE id BETWEEN ? AND ?");
        PreparedStatement archive =
            c.prepareStatement("SELECT count(*) FROM " + t + "_archive WHERE id BETWEEN ? AND ?")) {
      while (!stop.get()) {
        long from = ThreadLocalRandom.current().nextLong(1, maxId);
        for (PreparedStatement ps : List.of(live, archive)) {
          ps.setLong(1, from);
          ps.setLong(2, from + 1000);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
          }
        }
        reads.incrementAndGet();
      }
    }
    return null;
  }

  @Test
  void aRunWhoseConnectionIsKilledMidWayLosesNothingAndTheNextRunContinues() throws Exception {
    DataSource ds = dataSource();
    String t = table("ret_kill");
    int rows = 60_000;
    RetentionTables.create(ds, db(), t, true);
    RetentionTables.bulkOld(ds, db(), t, rows, 30);
    Set<Long> original = RetentionTables.ids(ds, t);
    TrackingDataSource tracking = trackingDataSource();
    RetentionPolicy p = policy(t).fixedBatchSize(1000).build();
    AtomicReference<Long> killed = new AtomicReference<>();
    AtomicBoolean once = new AtomicBoolean();
    RetentionRunner runner =
        RetentionRunner.builder(tracking, p)
            .listener(
                e -> {
                  if (e.type() == RetentionEvent.Type.BATCH
                      && e.batch() == 10
                      && once.compareAndSet(false, true)) {
                    // kill from another thread while the runner is inside its next batch
                    Thread killer =
                        new Thread(
                            () -> {
                              try {
                                long id = tracking.ids.get(tracking.ids.size() - 1);
                                kill(id);
                                killed.set(id);
                              } catch (SQLException ex) {
                                throw new IllegalStateException(ex);
                              }
                            });
                    killer.start();
                    try {
                      killer.join();
                    } catch (InterruptedException ex) {
                      Thread.currentThread().interrupt();
                    }
                  }
                })
            .build();
    RetentionRun first = runner.run();
    assertThat(killed.get()).isNotNull();
    assertThat(first.outcome()).isEqualTo(RetentionRun.Outcome.FAILED);
    assertThat(first.rowsArchived()).isEqualTo(10_000);
    assertConsistent(ds, t, original, 10_000);

    RetentionRun second = runner.run();
    assertThat(second.outcome())
        .as("the lease was ended on a fresh connection, so the restart runs at once")
        .isEqualTo(RetentionRun.Outcome.COMPLETED);
    assertThat(second.rowsArchived()).isEqualTo(rows - 10_000);
    assertConsistent(ds, t, original, rows);
  }

  private static void assertConsistent(DataSource ds, String t, Set<Long> original, int archived)
      throws SQLException {
    Set<Long> live = RetentionTables.ids(ds, t);
    Set<Long> arch = RetentionTables.ids(ds, t + "_archive");
    assertThat(arch).hasSize(archived);
    Set<Long> both = new HashSet<>(live);
    both.retainAll(arch);
    assertThat(both).as("no row in both tables").isEmpty();
    Set<Long> union = new HashSet<>(live);
    union.addAll(arch);
    assertThat(union.equals(original)).as("live + archive = original").isTrue();
  }

  @Test
  void twoRunnersOnOnePolicyNeverDeleteAtTheSameTime() throws Exception {
    String t = table("ret_two");
    int rows = 30_000;
    RetentionTables.create(dataSource(), db(), t, true);
    RetentionTables.bulkOld(dataSource(), db(), t, rows, 30);
    Set<Long> original = RetentionTables.ids(dataSource(), t);
    RetentionPolicy p = policy(t).fixedBatchSize(500).build();
    List<String> batches = new CopyOnWriteArrayList<>();
    RetentionRunner b =
        RetentionRunner.builder(trackingDataSource(), p)
            .listener(e -> record(batches, "B", e))
            .build();
    AtomicReference<RetentionRun> duringA = new AtomicReference<>();
    RetentionRunner a =
        RetentionRunner.builder(trackingDataSource(), p)
            .listener(
                e -> {
                  record(batches, "A", e);
                  if (e.type() == RetentionEvent.Type.BATCH && e.batch() == 3) {
                    duringA.set(b.run());
                  }
                })
            .build();
    RetentionRun ra = a.run();
    assertThat(duringA.get().outcome()).isEqualTo(RetentionRun.Outcome.LEASE_HELD);
    assertThat(ra.rowsArchived()).isEqualTo(rows);
    assertThat(batches).doesNotContain("B");

    // then both race, run after run, on a refilled table
    RetentionTables.bulkOld(dataSource(), db(), t, rows, 30);
    batches.clear();
    ExecutorService two = Executors.newFixedThreadPool(2);
    List<Future<List<RetentionRun>>> results = new ArrayList<>();
    for (RetentionRunner r : List.of(a, b)) {
      results.add(
          two.submit(
              () -> {
                List<RetentionRun> runs = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (RetentionTables.count(dataSource(), "SELECT count(*) FROM " + t) > 0
                    && System.nanoTime() < deadline) {
                  runs.add(r.run());
                }
                return runs;
              }));
    }
    two.shutdown();
    long archived = 0;
    for (Future<List<RetentionRun>> f : results) {
      for (RetentionRun r : f.get(150, TimeUnit.SECONDS)) {
        assertThat(r.outcome())
            .isIn(RetentionRun.Outcome.COMPLETED, RetentionRun.Outcome.LEASE_HELD);
        archived += r.rowsArchived();
      }
    }
    assertThat(archived).isEqualTo(rows);
    assertThat(RetentionTables.count(dataSource(), "SELECT count(*) FROM " + t)).isZero();
    assertThat(RetentionTables.count(dataSource(), "SELECT count(*) FROM " + t + "_archive"))
        .isEqualTo(2L * rows);
    assertThat(original).isNotEmpty();
    // a run's batches are never interleaved with the other runner's
    for (String run : String.join("", batches).split("\\|")) {
      assertThat(run).as("one run's batches: %s", batches).matches("A*|B*");
    }
  }

  /** Records a batch as its runner's letter and a run boundary as '|'. */
  private static void record(List<String> batches, String who, RetentionEvent e) {
    if (e.type() == RetentionEvent.Type.BATCH) {
      batches.add(who);
    } else if (e.type() == RetentionEvent.Type.RUN_FINISHED && e.batch() > 0) {
      batches.add("|");
    }
  }

  /**
   * The delete action (on PostgreSQL one statement per batch that renews the lease, finds the page
   * and deletes it): a connection killed mid-run and a restart delete exactly the eligible rows.
   */
  @Test
  void deleteActionKilledMidWayAndRestartedDeletesExactlyTheEligibleRows() throws Exception {
    DataSource ds = dataSource();
    String t = table("ret_dkill");
    RetentionTables.create(ds, db(), t, false);
    RetentionTables.bulkOld(ds, db(), t, 30_000, 30);
    Set<Long> eligible = RetentionTables.ids(ds, t);
    RetentionTables.insert(ds, t, 500, Instant.now(), "NEW");
    RetentionTables.bulkOld(ds, db(), t, 10_000, 1); // younger than maxAge
    Set<Long> keep = RetentionTables.ids(ds, t);
    keep.removeAll(eligible);
    TrackingDataSource tracking = trackingDataSource();
    RetentionPolicy p = policy(t).delete().fixedBatchSize(1000).build();
    AtomicBoolean once = new AtomicBoolean();
    RetentionRunner runner =
        RetentionRunner.builder(tracking, p)
            .listener(
                e -> {
                  if (e.type() == RetentionEvent.Type.BATCH
                      && e.batch() == 5
                      && once.compareAndSet(false, true)) {
                    try {
                      kill(tracking.ids.get(tracking.ids.size() - 1));
                    } catch (SQLException ex) {
                      throw new IllegalStateException(ex);
                    }
                  }
                })
            .build();
    RetentionRun first = runner.run();
    assertThat(first.outcome()).isEqualTo(RetentionRun.Outcome.FAILED);
    assertThat(first.rowsDeleted()).isEqualTo(5000);
    assertThat(RetentionTables.count(ds, "SELECT count(*) FROM " + t))
        .isEqualTo(keep.size() + eligible.size() - 5000L);
    RetentionRun second = runner.run();
    assertThat(second.outcome()).isEqualTo(RetentionRun.Outcome.COMPLETED);
    assertThat(second.rowsDeleted()).isEqualTo(eligible.size() - 5000L);
    assertThat(RetentionTables.ids(ds, t).equals(keep))
        .as("exactly the young rows remain")
        .isTrue();
  }

  /**
   * The delete action's keyset cursor over rows that are not all eligible: every third row is young
   * and every fifth fails the extra condition, spread over every page. Each batch must delete a
   * full page of eligible rows until the last, and exactly the others must remain: a cursor that
   * moved past rows it did not delete leaves eligible rows behind it (checked: moving the cursor
   * two keys too far fails this test).
   */
  @Test
  void deleteActionPagesOverInterleavedIneligibleRowsAndDeletesExactlyTheEligibleOnes()
      throws Exception {
    DataSource ds = dataSource();
    String t = table("ret_dmix");
    RetentionTables.create(ds, db(), t, false);
    RetentionTables.bulkOld(ds, db(), t, 9_000, 30);
    String now = db() == Db.POSTGRES ? "now()" : "CURRENT_TIMESTAMP";
    RetentionTables.exec(
        ds,
        "UPDATE " + t + " SET created_at = " + now + " WHERE MOD(id, 3) = 0",
        "UPDATE " + t + " SET status = 'OPEN' WHERE MOD(id, 5) = 0");
    long eligible =
        RetentionTables.count(
            ds, "SELECT count(*) FROM " + t + " WHERE MOD(id, 3) <> 0 AND status = 'DONE'");
    Set<Long> keep = new HashSet<>();
    for (long id : RetentionTables.ids(ds, t)) {
      if (id % 3 == 0 || id % 5 == 0) {
        keep.add(id);
      }
    }
    RetentionPolicy p =
        policy(t).delete().extraCondition("status = 'DONE'").fixedBatchSize(700).build();
    RetentionRun run = RetentionRunner.builder(ds, p).build().run();
    assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.COMPLETED);
    assertThat(run.rowsDeleted()).isEqualTo(eligible);
    assertThat(run.batches()).as("full pages, then one short").isEqualTo(eligible / 700 + 1);
    assertThat(RetentionTables.ids(ds, t).equals(keep))
        .as("exactly the young and the OPEN rows remain")
        .isTrue();
  }

  /**
   * Fencing of the delete action: once another owner holds the lease row, the runner's next batch
   * deletes nothing and the run ends {@code LEASE_LOST}.
   */
  @Test
  void aDeleteRunnerWhoseLeaseWasTakenOverDeletesNothingMore() throws Exception {
    DataSource ds = dataSource();
    String t = table("ret_dlease");
    RetentionTables.create(ds, db(), t, false);
    RetentionTables.bulkOld(ds, db(), t, 10_000, 30);
    RetentionPolicy p = policy(t).delete().fixedBatchSize(1000).build();
    RetentionRunner runner =
        RetentionRunner.builder(ds, p)
            .listener(
                e -> {
                  if (e.type() == RetentionEvent.Type.BATCH && e.batch() == 2) {
                    try {
                      // another instance takes the lease over (as after this one stalled)
                      RetentionTables.exec(
                          ds,
                          "UPDATE "
                              + RetentionRunner.DEFAULT_LEASE_TABLE
                              + " SET owner_token = 'intruder', expires_at = "
                              + Long.MAX_VALUE / 2
                              + " WHERE policy = '"
                              + t
                              + "'");
                    } catch (SQLException ex) {
                      throw new IllegalStateException(ex);
                    }
                  }
                })
            .build();
    try {
      RetentionRun run = runner.run();
      assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.LEASE_LOST);
      assertThat(run.failure()).hasMessageContaining("taken over by another runner");
      assertThat(run.rowsDeleted()).isEqualTo(2000);
      assertThat(RetentionTables.count(ds, "SELECT count(*) FROM " + t)).isEqualTo(8000);
      assertThat(runner.run().outcome()).isEqualTo(RetentionRun.Outcome.LEASE_HELD);
      assertThat(RetentionTables.count(ds, "SELECT count(*) FROM " + t)).isEqualTo(8000);
    } finally {
      RetentionTables.exec(
          ds, "DELETE FROM " + RetentionRunner.DEFAULT_LEASE_TABLE + " WHERE policy = '" + t + "'");
    }
  }

  @Test
  void refusesAMissingArchiveTableBeforeTouchingAnything() throws Exception {
    DataSource ds = dataSource();
    String t = table("ret_refuse");
    RetentionTables.create(ds, db(), t, false);
    RetentionTables.bulkOld(ds, db(), t, 10, 30);
    RetentionRunner runner = RetentionRunner.builder(ds, policy(t).build()).build();
    RetentionPolicyRejectedException e =
        (RetentionPolicyRejectedException)
            org.assertj.core.api.Assertions.catchThrowable(runner::run);
    assertThat(e).hasMessageContaining("archive table " + t + "_archive does not exist");
    assertThat(e.getTable()).isEqualTo(t + "_archive");
    assertThat(RetentionTables.count(ds, "SELECT count(*) FROM " + t)).isEqualTo(10);
    RetentionTables.exec(ds, "DROP INDEX " + t + "_age" + (db() == Db.MARIADB ? " ON " + t : ""));
    RetentionRunner unindexed = RetentionRunner.builder(ds, policy(t).delete().build()).build();
    assertThat(org.assertj.core.api.Assertions.catchThrowable(unindexed::validate))
        .isInstanceOf(RetentionPolicyRejectedException.class)
        .hasMessageContaining("is not the leading column of any index");
  }

  /** A DataSource that records each new connection's server-side id. */
  abstract static class TrackingDataSource extends DelegatingDataSource {
    final List<Long> ids = new CopyOnWriteArrayList<>();

    TrackingDataSource(DataSource delegate) {
      super(delegate);
    }

    abstract String idQuery();

    @Override
    public Connection getConnection() throws SQLException {
      Connection c = super.getConnection();
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery(idQuery())) {
        rs.next();
        ids.add(rs.getLong(1));
      }
      return c;
    }
  }
}
