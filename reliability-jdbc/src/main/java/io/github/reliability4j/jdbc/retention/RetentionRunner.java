package io.github.reliability4j.jdbc.retention;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.ReplicaLagView;
import io.github.reliability4j.core.routing.ReplicaStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link RetentionPolicy} against a database: removes (or archives, then removes) the
 * eligible rows in bounded batches, one transaction per batch, pausing while replicas lag or the
 * application is not ready.
 *
 * <pre>{@code
 * RetentionRunner runner =
 *     RetentionRunner.builder(dataSource, policy)
 *         .lagView(routingDataSource.lagView())           // optional: pause while replicas lag
 *         .readiness(() -> checker.snapshot().report(ProbeKind.READINESS).status()) // optional
 *         .build();
 * RetentionPlan plan = runner.plan();  // dry run
 * RetentionRun run = runner.run();     // or RetentionScheduler.start(...)
 * }</pre>
 *
 * <h2>Algorithm (PostgreSQL, MariaDB/MySQL, H2 alike)</h2>
 *
 * A run takes the policy's lease (see below), fixes its cut {@code now - maxAge} and then repeats
 * batches until a batch finds fewer rows than it asked for. One batch is one transaction at READ
 * COMMITTED. On PostgreSQL a batch of the {@link RetentionPolicy.Action#DELETE delete} action is a
 * single statement sent in autocommit mode, one round trip: a data-modifying {@code WITH} that
 * renews the lease, finds the next keyset page's row count and upper key, and deletes that key
 * range (steps 1 and 2 below in one statement, with the same fencing: the delete runs only if the
 * renewal updated the lease row, which stays locked until the statement commits). Otherwise:
 *
 * <ol>
 *   <li>{@code UPDATE lease SET expires_at = ? WHERE policy = ? AND owner_token = ?}: renews the
 *       lease and locks the lease row; no row updated means the lease was taken over, and the batch
 *       rolls back before touching the table.
 *   <li>{@code SELECT pk FROM t WHERE pk > :cursor AND age < :cut [AND (extra)] ORDER BY pk LIMIT
 *       :n FOR UPDATE}: keyset pagination on the primary key (no {@code OFFSET}); the selected rows
 *       are locked, so no other transaction can change or delete them until the commit. For the
 *       {@link RetentionPolicy.Action#DELETE delete} action the batch ships no keys and takes no
 *       separate lock: {@code SELECT count(*), max(pk)} over the same keyset-paginated subquery,
 *       then {@code DELETE FROM t WHERE pk > :cursor AND pk <= :max AND age < :cut [AND (extra)]}
 *       (the delete locks and re-checks its rows; a row that became eligible inside the range
 *       meanwhile is deleted with them, as the policy says). On MariaDB every batch after a run's
 *       first scans its page once instead: {@code DELETE FROM t WHERE pk > :cursor AND age < :cut
 *       [AND (extra)] ORDER BY pk LIMIT :n RETURNING pk}, the last returned key being the next
 *       cursor (MySQL has no {@code RETURNING} and keeps the two statements).
 *   <li>archive only: {@code INSERT INTO archive (cols) SELECT cols FROM t WHERE pk IN (:keys) AND
 *       age < :cut [AND (extra)]}
 *   <li>{@code DELETE FROM t WHERE pk IN (:keys) AND age < :cut [AND (extra)]}: the same predicate
 *       over the same locked rows, re-checking the age; the copied and deleted counts must be
 *       equal, otherwise the batch rolls back and the run fails.
 *   <li>commit; the cursor moves to the batch's largest key.
 * </ol>
 *
 * Because the copy and the delete commit together over locked rows, a row is never in both tables
 * or in neither, even when the connection drops or the process dies mid-batch (the batch rolls back
 * whole). A killed run leaves nothing to repair: the next run starts from the smallest key again
 * and, deleted rows being gone, continues where the last one stopped.
 *
 * <h2>Batch time</h2>
 *
 * Each batch's transaction time (lease renewal to commit, by the injected clock) is fed to an
 * adaptive sizer aiming at half of {@link RetentionPolicy#getBatchTimeBudget()}: a batch that took
 * more than half the budget shrinks the next one in proportion, one that took less than a quarter
 * grows it in proportion (at most 4-fold), always within the policy's minimum and maximum. So no
 * lock is held for much longer than one budget, provided a batch's time grows about linearly with
 * its size; the first batch runs at the initial size, and the first batch after the cost per row
 * jumps (load, a cold cache) may exceed the budget before the sizer shrinks the next. Durations are
 * reported per batch ({@link RetentionEvent}) and as the run's maximum ({@link
 * RetentionRun#maxBatchDuration()}).
 *
 * <h2>Throttling</h2>
 *
 * Before each batch the runner consults the optional {@link ReplicaLagView} and pauses while any
 * replica's last known lag exceeds {@link RetentionPolicy#getMaxReplicaLag()}, and the optional
 * readiness supplier and pauses while it is not {@link HealthStatus#PASS}; it looks again every
 * {@link RetentionPolicy#getThrottlePollInterval()}, renewing its lease meanwhile (once a quarter
 * of the lease duration has passed since the last renewal, not at every look: each renewal is a
 * commit the lagging replicas must apply as well), and gives up after {@link
 * RetentionPolicy#getMaxThrottleTime()} (outcome {@code THROTTLED}). A replica whose lag is unknown
 * (its probe failed: down, unreachable) does not pause the runner: a dead replica must not stop
 * retention forever, and the lag view's own health probes report it. Without a lag view the runner
 * pauses {@link RetentionPolicy#getPauseBetweenBatches()} between batches.
 *
 * <h2>One runner per policy</h2>
 *
 * The lease is a row in a lease table in the same database (default {@value #DEFAULT_LEASE_TABLE},
 * created if missing), keyed by the policy's name, with an owner token per run and an expiry. A run
 * that finds the lease held by a live owner returns {@code LEASE_HELD} without touching the table.
 * The fencing is described on the batch steps above. Expiry is compared with the runners' own
 * clocks: clocks of instances running one policy must agree to well within the lease duration. A
 * run ends its lease on every exit; a run in a process that died holds it until it expires.
 *
 * <h2>Not guaranteed</h2>
 *
 * <ul>
 *   <li>Rows that become eligible behind the cursor during a run (inserted with an old age, or
 *       whose extra condition becomes true) are removed by the next run, not this one.
 *   <li>Foreign keys: a row referenced by another table's foreign key makes the batch fail (the
 *       database refuses the delete) unless the key cascades; archive the referencing table first
 *       or use a condition that excludes referenced rows.
 * </ul>
 *
 * <p>Thread-safety: a runner may be shared; {@link #run()} calls on one runner from several threads
 * are serialized by the lease like calls from several instances (the second returns {@code
 * LEASE_HELD}). Listeners run on the thread calling {@link #run()}.
 */
public final class RetentionRunner {

  /** Default name of the lease table. */
  public static final String DEFAULT_LEASE_TABLE = "reliability_retention_lease";

  private static final Logger log = LoggerFactory.getLogger(RetentionRunner.class);
  private static final Pattern QUALIFIED =
      Pattern.compile("([A-Za-z_][A-Za-z0-9_]*\\.)?[A-Za-z_][A-Za-z0-9_]*");

  private final DataSource dataSource;
  private final RetentionPolicy policy;
  private final Clock clock;
  private final Sleeper sleeper;
  private final ReplicaLagView lagView;
  private final Supplier<HealthStatus> readiness;
  private final List<RetentionListener> listeners;
  private final Lease lease;
  private final AtomicReference<RetentionRun> lastRun = new AtomicReference<>();
  private volatile List<String> columns;
  private volatile boolean oneStatementBatches;
  private volatile boolean returningBatches;

  private RetentionRunner(Builder b) {
    this.dataSource = b.dataSource;
    this.policy = b.policy;
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    this.lagView = b.lagView;
    this.readiness = b.readiness;
    this.listeners = List.copyOf(b.listeners);
    this.lease = new Lease(b.leaseTable);
  }

  public static Builder builder(DataSource dataSource, RetentionPolicy policy) {
    return new Builder(dataSource, policy);
  }

  public RetentionPolicy getPolicy() {
    return policy;
  }

  /** The last finished run of this runner (not of other instances), if any. */
  public Optional<RetentionRun> getLastRun() {
    return Optional.ofNullable(lastRun.get());
  }

  /**
   * Checks the policy against the database: the table, primary key and age column exist, the age
   * column has the declared type and leads an index (unless allowed), the extra condition is valid,
   * and the archive table has every column of the table. {@link #run()} and {@link #plan()} call it
   * once, before their first statement on the table.
   *
   * @throws RetentionPolicyRejectedException naming the table, the column and what to do
   * @throws SQLException if the metadata cannot be read
   */
  public void validate() throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      columns = List.copyOf(Schema.check(c, policy));
      String product = Schema.product(c);
      oneStatementBatches =
          policy.getAction() == RetentionPolicy.Action.DELETE && product.equals("PostgreSQL");
      returningBatches =
          policy.getAction() == RetentionPolicy.Action.DELETE && product.equals("MariaDB");
    }
  }

  private void validated() throws SQLException {
    if (columns == null) {
      validate();
    }
  }

  /**
   * A dry run: how many rows are eligible now, in how many batches of the initial size, and how old
   * the oldest is. Changes nothing and takes no lease.
   *
   * @throws RetentionPolicyRejectedException if the policy fails {@link #validate()}
   * @throws SQLException if the database fails
   */
  public RetentionPlan plan() throws SQLException {
    validated();
    Instant now = clock.instant();
    Instant cut = now.minus(policy.getMaxAge());
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*), min("
                    + policy.getAgeColumn()
                    + ") FROM "
                    + policy.getTable()
                    + " WHERE "
                    + eligible())) {
      bindCut(ps, 1, cut);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long count = rs.getLong(1);
        Optional<Instant> oldest = readAge(rs, 2);
        int size = policy.getInitialBatchSize();
        return new RetentionPlan(
            policy.getName(),
            cut,
            count,
            (count + size - 1) / size,
            oldest.map(o -> Duration.between(o, now)));
      }
    }
  }

  /**
   * Age of the oldest eligible row now, or empty when none is eligible; one indexed {@code min()}.
   */
  public Optional<Duration> oldestEligibleAge() throws SQLException {
    validated();
    Instant now = clock.instant();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT min("
                    + policy.getAgeColumn()
                    + ") FROM "
                    + policy.getTable()
                    + " WHERE "
                    + eligible())) {
      bindCut(ps, 1, now.minus(policy.getMaxAge()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return readAge(rs, 1).map(o -> Duration.between(o, now));
      }
    }
  }

  /**
   * Runs the policy once. Never throws for database failures: they end the run with outcome {@link
   * RetentionRun.Outcome#FAILED} (batches committed before stay committed; the failing batch rolls
   * back).
   *
   * @throws RetentionPolicyRejectedException if the policy fails {@link #validate()}
   */
  public RetentionRun run() {
    Instant startedAt = clock.instant();
    String owner = UUID.randomUUID().toString();
    Progress p = new Progress(startedAt);
    try {
      validated();
    } catch (SQLException e) {
      return finish(p, RetentionRun.Outcome.FAILED, e);
    }
    RetentionRun.Outcome outcome;
    Throwable failure = null;
    boolean leased = false;
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      lease.createTableIfMissing(c);
      long now = clock.millis();
      if (!lease.acquire(
          c, policy.getName(), owner, now, now + policy.getLeaseDuration().toMillis())) {
        return finish(p, RetentionRun.Outcome.LEASE_HELD, null);
      }
      leased = true;
      emit(
          new RetentionEvent(
              RetentionEvent.Type.RUN_STARTED,
              policy.getName(),
              startedAt,
              0,
              0,
              policy.getInitialBatchSize(),
              Duration.ZERO,
              null,
              null));
      outcome = batches(c, owner, p);
    } catch (LeaseLost e) {
      outcome = RetentionRun.Outcome.LEASE_LOST;
      failure = e;
      leased = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      outcome = RetentionRun.Outcome.INTERRUPTED;
      failure = e;
    } catch (SQLException | RuntimeException e) {
      outcome = RetentionRun.Outcome.FAILED;
      failure = e;
    }
    if (leased) {
      release(owner);
    }
    return finish(p, outcome, failure);
  }

  private RetentionRun.Outcome batches(Connection c, String owner, Progress p)
      throws SQLException, InterruptedException {
    Instant cut = p.startedAt.minus(policy.getMaxAge());
    Instant deadline = p.startedAt.plus(policy.getMaxRunDuration());
    BatchSizer sizer =
        new BatchSizer(
            policy.getMinBatchSize(),
            policy.getInitialBatchSize(),
            policy.getMaxBatchSize(),
            policy.getBatchTimeBudget());
    int isolation = c.getTransactionIsolation();
    c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
    // a one-statement batch is its own transaction: one round trip, no separate COMMIT
    c.setAutoCommit(oneStatementBatches);
    try {
      Object cursor = null;
      while (true) {
        if (!clock.instant().isBefore(deadline)) {
          return RetentionRun.Outcome.TIME_LIMIT;
        }
        if (!throttle(c, owner, p, sizer.current())) {
          return RetentionRun.Outcome.THROTTLED;
        }
        int size = sizer.current();
        Instant t0 = clock.instant();
        long renewingAt = clock.millis();
        Batch b = batch(c, owner, cursor, size, cut);
        p.renewedAtMillis = renewingAt;
        Duration took = Duration.between(t0, clock.instant());
        sizer.record(size, b.keys, took);
        p.batches++;
        p.deleted += b.deleted;
        if (policy.getAction() == RetentionPolicy.Action.ARCHIVE_THEN_DELETE) {
          p.archived += b.deleted;
        }
        if (took.compareTo(p.maxBatch) > 0) {
          p.maxBatch = took;
        }
        emit(
            new RetentionEvent(
                RetentionEvent.Type.BATCH,
                policy.getName(),
                clock.instant(),
                p.batches,
                b.deleted,
                size,
                took,
                null,
                null));
        if (b.keys < size) {
          return RetentionRun.Outcome.COMPLETED;
        }
        cursor = b.lastKey;
        if (lagView == null && !policy.getPauseBetweenBatches().isZero()) {
          sleeper.sleep(policy.getPauseBetweenBatches());
        }
      }
    } finally {
      try {
        c.setAutoCommit(true);
        c.setTransactionIsolation(isolation);
      } catch (SQLException ignored) {
        // the connection is broken; the pool discards it
      }
    }
  }

  private record Batch(int keys, long deleted, Object lastKey) {}

  private Batch batch(Connection c, String owner, Object cursor, int size, Instant cut)
      throws SQLException {
    if (oneStatementBatches) {
      return oneStatementBatch(c, owner, cursor, size, cut);
    }
    boolean done = false;
    try {
      if (!lease.renew(
          c, policy.getName(), owner, clock.millis() + policy.getLeaseDuration().toMillis())) {
        throw new LeaseLost(policy.getName(), lease.table());
      }
      if (policy.getAction() == RetentionPolicy.Action.DELETE) {
        Batch b =
            returningBatches && cursor != null
                ? returningBatch(c, cursor, size, cut)
                : rangeBatch(c, cursor, size, cut);
        done = true;
        return b;
      }
      List<Object> keys = new ArrayList<>(size);
      String select =
          "SELECT "
              + policy.getPrimaryKey()
              + " FROM "
              + policy.getTable()
              + " WHERE "
              + (cursor == null ? "" : policy.getPrimaryKey() + " > ? AND ")
              + eligible()
              + " ORDER BY "
              + policy.getPrimaryKey()
              + " LIMIT "
              + size
              + " FOR UPDATE";
      try (PreparedStatement ps = c.prepareStatement(select)) {
        int i = 1;
        if (cursor != null) {
          ps.setObject(i++, cursor);
        }
        bindCut(ps, i, cut);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            keys.add(rs.getObject(1));
          }
        }
      }
      long deleted = 0;
      if (!keys.isEmpty()) {
        String in = policy.getPrimaryKey() + " IN (" + "?,".repeat(keys.size() - 1) + "?) AND ";
        long copied = -1;
        if (policy.getAction() == RetentionPolicy.Action.ARCHIVE_THEN_DELETE) {
          String cols = String.join(", ", columns);
          copied =
              update(
                  c,
                  "INSERT INTO "
                      + policy.getArchiveTable().get()
                      + " ("
                      + cols
                      + ") SELECT "
                      + cols
                      + " FROM "
                      + policy.getTable()
                      + " WHERE "
                      + in
                      + eligible(),
                  keys,
                  cut);
        }
        deleted =
            update(c, "DELETE FROM " + policy.getTable() + " WHERE " + in + eligible(), keys, cut);
        if (copied >= 0 && copied != deleted) {
          throw new IllegalStateException(
              "Retention policy '"
                  + policy.getName()
                  + "': batch copied "
                  + copied
                  + " rows into "
                  + policy.getArchiveTable().get()
                  + " but deleted "
                  + deleted
                  + " from "
                  + policy.getTable()
                  + "; rolled back");
        }
      }
      c.commit();
      done = true;
      return new Batch(keys.size(), deleted, keys.isEmpty() ? cursor : keys.get(keys.size() - 1));
    } finally {
      if (!done) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // a broken connection rolls back on the server
        }
      }
    }
  }

  /**
   * A delete-only batch on PostgreSQL as one statement in autocommit mode, so one round trip and
   * one transaction:
   *
   * <pre>{@code
   * WITH l AS (UPDATE lease SET expires_at = ? WHERE policy = ? AND owner_token = ? RETURNING 1),
   *      p AS (SELECT pk FROM t WHERE pk > :cursor AND age < :cut [AND (extra)] ORDER BY pk LIMIT n),
   *      d AS (DELETE FROM t WHERE pk > :cursor AND pk <= (SELECT max(pk) FROM p)
   *            AND age < :cut [AND (extra)] AND EXISTS (SELECT 1 FROM l) RETURNING 1)
   * SELECT (SELECT count(*) FROM l), (SELECT count(*) FROM p), (SELECT max(pk) FROM p),
   *        (SELECT count(*) FROM d)
   * }</pre>
   *
   * The fencing is the same as in the multi-statement batch: the lease renewal runs first (the
   * delete's {@code EXISTS} reads its output, a one-time filter evaluated before the delete scans
   * the table) and locks the lease row until the statement commits; a renewal that updates no row
   * (the lease was taken over) leaves the filter false, so the statement deletes nothing and the
   * run stops with {@link LeaseLost}. The delete locks and re-checks each row of the range itself.
   */
  private Batch oneStatementBatch(Connection c, String owner, Object cursor, int size, Instant cut)
      throws SQLException {
    String pk = policy.getPrimaryKey();
    String t = policy.getTable();
    String after = cursor == null ? "" : pk + " > ? AND ";
    String sql =
        "WITH l AS (UPDATE "
            + lease.table()
            + " SET expires_at = ? WHERE policy = ? AND owner_token = ? RETURNING 1),"
            + " p AS (SELECT "
            + pk
            + " FROM "
            + t
            + " WHERE "
            + after
            + eligible()
            + " ORDER BY "
            + pk
            + " LIMIT "
            + size
            + "), d AS (DELETE FROM "
            + t
            + " WHERE "
            + after
            + pk
            + " <= (SELECT max("
            + pk
            + ") FROM p) AND "
            + eligible()
            + " AND EXISTS (SELECT 1 FROM l) RETURNING 1)"
            + " SELECT (SELECT count(*) FROM l), (SELECT count(*) FROM p), (SELECT max("
            + pk
            + ") FROM p), (SELECT count(*) FROM d)";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setLong(i++, clock.millis() + policy.getLeaseDuration().toMillis());
      ps.setString(i++, policy.getName());
      ps.setString(i++, owner);
      for (int part = 0; part < 2; part++) {
        if (cursor != null) {
          ps.setObject(i++, cursor);
        }
        bindCut(ps, i++, cut);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getLong(1) != 1) {
          throw new LeaseLost(policy.getName(), lease.table());
        }
        int keys = rs.getInt(2);
        Object upper = rs.getObject(3);
        long deleted = rs.getLong(4);
        return new Batch(keys, deleted, keys == 0 ? cursor : upper);
      }
    }
  }

  /**
   * A delete-only batch, in two statements that ship no keys: the batch's upper key and its row
   * count ({@code SELECT count(*), max(pk) FROM (SELECT pk ... ORDER BY pk LIMIT n)}, no lock),
   * then {@code DELETE ... WHERE pk > :cursor AND pk <= :upper AND age < :cut [AND (extra)]}. The
   * delete locks and re-checks its rows itself, so a {@code FOR UPDATE} on the SELECT would only
   * write each row's lock twice (PostgreSQL logs a lock record per row). Called inside the batch's
   * transaction, after the lease renewal; the caller commits.
   */
  private Batch rangeBatch(Connection c, Object cursor, int size, Instant cut) throws SQLException {
    String pk = policy.getPrimaryKey();
    String where = " WHERE " + (cursor == null ? "" : pk + " > ? AND ") + eligible();
    String bound =
        "SELECT count(*), max(b."
            + pk
            + ") FROM (SELECT "
            + pk
            + " FROM "
            + policy.getTable()
            + where
            + " ORDER BY "
            + pk
            + " LIMIT "
            + size
            + ") b";
    int keys;
    Object upper;
    try (PreparedStatement ps = c.prepareStatement(bound)) {
      int i = 1;
      if (cursor != null) {
        ps.setObject(i++, cursor);
      }
      bindCut(ps, i, cut);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        keys = rs.getInt(1);
        upper = rs.getObject(2);
      }
    }
    long deleted = 0;
    if (keys > 0) {
      String delete =
          "DELETE FROM "
              + policy.getTable()
              + " WHERE "
              + (cursor == null ? "" : pk + " > ? AND ")
              + pk
              + " <= ? AND "
              + eligible();
      try (PreparedStatement ps = c.prepareStatement(delete)) {
        int i = 1;
        if (cursor != null) {
          ps.setObject(i++, cursor);
        }
        ps.setObject(i++, upper);
        bindCut(ps, i, cut);
        deleted = ps.executeUpdate();
      }
    }
    c.commit();
    return new Batch(keys, deleted, keys == 0 ? cursor : upper);
  }

  /**
   * A delete-only batch on MariaDB once the run has a cursor: one statement that scans the keyset
   * page once, {@code DELETE FROM t WHERE pk > :cursor AND age < :cut [AND (extra)] ORDER BY pk
   * LIMIT n RETURNING pk}, instead of a counting {@code SELECT} over the page and a range {@code
   * DELETE} over it again. The returned keys come in delete order, that is ascending by the key as
   * the database orders it; the last one is the next cursor. The first batch of a run has no cursor
   * and uses {@link #rangeBatch}: without a lower key bound MariaDB plans this delete on the age
   * index and sorts every eligible row before deleting the first page. Called inside the batch's
   * transaction, after the lease renewal; commits.
   */
  private Batch returningBatch(Connection c, Object cursor, int size, Instant cut)
      throws SQLException {
    String pk = policy.getPrimaryKey();
    String delete =
        "DELETE FROM "
            + policy.getTable()
            + " WHERE "
            + pk
            + " > ? AND "
            + eligible()
            + " ORDER BY "
            + pk
            + " LIMIT "
            + size
            + " RETURNING "
            + pk;
    int keys = 0;
    Object last = cursor;
    try (PreparedStatement ps = c.prepareStatement(delete)) {
      ps.setObject(1, cursor);
      bindCut(ps, 2, cut);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          keys++;
          last = rs.getObject(1);
        }
      }
    }
    c.commit();
    return new Batch(keys, keys, last);
  }

  private long update(Connection c, String sql, List<Object> keys, Instant cut)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      for (Object k : keys) {
        ps.setObject(i++, k);
      }
      bindCut(ps, i, cut);
      return ps.executeUpdate();
    }
  }

  /** Waits while throttled; false if the pause exceeded the maximum. Renews the lease meanwhile. */
  private boolean throttle(Connection c, String owner, Progress p, int nextSize)
      throws SQLException, InterruptedException {
    Instant pausedSince = null;
    while (true) {
      String reason = throttleReason();
      if (reason == null) {
        return true;
      }
      Instant now = clock.instant();
      if (pausedSince == null) {
        pausedSince = now;
      } else if (Duration.between(pausedSince, now).compareTo(policy.getMaxThrottleTime()) >= 0) {
        return false;
      }
      // Renew only once a quarter of the lease has passed since the last renewal (the batch's own
      // or a pause's): each renewal is a durable commit that every replica must apply too, and a
      // renewal per poll made the lagging replica this pause waits for apply one more transaction
      // per poll. Fencing does not depend on these renewals: every batch renews and checks the
      // lease in its own transaction before touching the table.
      long nowMillis = clock.millis();
      if (nowMillis - p.renewedAtMillis >= policy.getLeaseDuration().toMillis() / 4) {
        boolean renewed;
        try {
          renewed =
              lease.renew(
                  c, policy.getName(), owner, nowMillis + policy.getLeaseDuration().toMillis());
          if (!c.getAutoCommit()) {
            c.commit();
          }
        } catch (SQLException e) {
          if (!c.getAutoCommit()) {
            c.rollback();
          }
          throw e;
        }
        if (!renewed) {
          throw new LeaseLost(policy.getName(), lease.table());
        }
        p.renewedAtMillis = nowMillis;
      }
      emit(
          new RetentionEvent(
              RetentionEvent.Type.THROTTLED,
              policy.getName(),
              now,
              p.batches,
              0,
              nextSize,
              policy.getThrottlePollInterval(),
              reason,
              null));
      Instant before = clock.instant();
      sleeper.sleep(policy.getThrottlePollInterval());
      p.throttled = p.throttled.plus(Duration.between(before, clock.instant()));
    }
  }

  /** Why the next batch must wait, or null. */
  String throttleReason() {
    if (readiness != null) {
      HealthStatus status;
      try {
        status = readiness.get();
      } catch (RuntimeException e) {
        return "readiness unavailable: " + e;
      }
      if (status != HealthStatus.PASS) {
        return "readiness is " + status;
      }
    }
    if (lagView != null) {
      for (ReplicaStatus r : lagView.replicas()) {
        LagSample s = r.lastSample();
        if (s != null && s.isKnown() && s.lag().compareTo(policy.getMaxReplicaLag()) > 0) {
          return "replica "
              + r.name()
              + " lags "
              + s.lag()
              + ", more than maxReplicaLag "
              + policy.getMaxReplicaLag();
        }
      }
    }
    return null;
  }

  private void release(String owner) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      lease.release(c, policy.getName(), owner);
    } catch (SQLException | RuntimeException e) {
      log.warn(
          "Could not end the lease of retention policy '{}'; it expires after {}",
          policy.getName(),
          policy.getLeaseDuration(),
          e);
    }
  }

  private String eligible() {
    return policy.getAgeColumn()
        + " < ?"
        + policy.getExtraCondition().map(x -> " AND (" + x + ")").orElse("");
  }

  private void bindCut(PreparedStatement ps, int index, Instant cut) throws SQLException {
    if (policy.getAgeType() == RetentionPolicy.AgeType.EPOCH_MILLIS) {
      ps.setLong(index, cut.toEpochMilli());
    } else {
      ps.setTimestamp(index, Timestamp.from(cut));
    }
  }

  private Optional<Instant> readAge(ResultSet rs, int index) throws SQLException {
    if (policy.getAgeType() == RetentionPolicy.AgeType.EPOCH_MILLIS) {
      long v = rs.getLong(index);
      return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(v));
    }
    Timestamp t = rs.getTimestamp(index);
    return t == null ? Optional.empty() : Optional.of(t.toInstant());
  }

  private RetentionRun finish(Progress p, RetentionRun.Outcome outcome, Throwable failure) {
    RetentionRun run =
        new RetentionRun(
            policy.getName(),
            outcome,
            p.startedAt,
            Duration.between(p.startedAt, clock.instant()),
            p.batches,
            p.archived,
            p.deleted,
            p.throttled,
            p.maxBatch,
            failure);
    lastRun.set(run);
    String line =
        "retention run policy={} table={} outcome={} batches={} archived={} deleted={}"
            + " throttledMs={} maxBatchMs={} durationMs={}";
    Object[] args = {
      policy.getName(),
      policy.getTable(),
      outcome,
      run.batches(),
      run.rowsArchived(),
      run.rowsDeleted(),
      run.throttled().toMillis(),
      run.maxBatchDuration().toMillis(),
      run.duration().toMillis()
    };
    if (failure != null && outcome == RetentionRun.Outcome.FAILED) {
      log.warn(line + " failure={}", append(args, String.valueOf(failure)));
    } else if (outcome == RetentionRun.Outcome.LEASE_HELD) {
      log.debug(line, args); // the normal case on every instance but one
    } else {
      log.info(line, args);
    }
    emit(
        new RetentionEvent(
            RetentionEvent.Type.RUN_FINISHED,
            policy.getName(),
            clock.instant(),
            run.batches(),
            0,
            0,
            run.duration(),
            outcome.name(),
            run));
    return run;
  }

  private static Object[] append(Object[] a, Object x) {
    Object[] r = java.util.Arrays.copyOf(a, a.length + 1);
    r[a.length] = x;
    return r;
  }

  private void emit(RetentionEvent e) {
    for (RetentionListener l : listeners) {
      try {
        l.onEvent(e);
      } catch (RuntimeException ex) {
        log.warn("Retention listener {} threw on {}", l, e.type(), ex);
      }
    }
  }

  private static final class Progress {
    final Instant startedAt;
    long batches;
    long archived;
    long deleted;
    Duration throttled = Duration.ZERO;
    Duration maxBatch = Duration.ZERO;

    /** Clock millis of the last lease renewal (acquisition, a batch, a pause). */
    long renewedAtMillis;

    Progress(Instant startedAt) {
      this.startedAt = startedAt;
      this.renewedAtMillis = startedAt.toEpochMilli();
    }
  }

  /** The lease was taken over: this run must stop without touching the table. */
  static final class LeaseLost extends SQLException {
    private static final long serialVersionUID = 1L;

    LeaseLost(String policy, String table) {
      super(
          "The lease of retention policy '"
              + policy
              + "' in "
              + table
              + " was taken over by another runner; this run stopped and its batch rolled back");
    }
  }

  /** Builder; not thread-safe. */
  public static final class Builder {
    private final DataSource dataSource;
    private final RetentionPolicy policy;
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.SYSTEM;
    private ReplicaLagView lagView;
    private Supplier<HealthStatus> readiness;
    private final List<RetentionListener> listeners = new ArrayList<>();
    private String leaseTable = DEFAULT_LEASE_TABLE;

    private Builder(DataSource dataSource, RetentionPolicy policy) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** Time for the cut, batch durations, the lease and throttling (default: system UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** How the runner waits (default {@link Sleeper#SYSTEM}). */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * The replicas to watch, e.g. {@code ReplicaRoutingDataSource.lagView()}: the runner pauses
     * while one lags more than the policy's maximum. Replaces the fixed pause between batches.
     */
    public Builder lagView(ReplicaLagView lagView) {
      this.lagView = Objects.requireNonNull(lagView, "lagView");
      return this;
    }

    /**
     * The application's readiness: the runner pauses while it is not {@code PASS}. Called before
     * every batch on the running thread; should return a cached snapshot, e.g. {@code () ->
     * checker.snapshot().report(ProbeKind.READINESS).status()}.
     */
    public Builder readiness(Supplier<HealthStatus> readiness) {
      this.readiness = Objects.requireNonNull(readiness, "readiness");
      return this;
    }

    /** Adds a progress listener. */
    public Builder listener(RetentionListener listener) {
      this.listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * The lease table (default {@value #DEFAULT_LEASE_TABLE}); created if missing.
     *
     * @throws IllegalArgumentException if it is not a plain or schema-qualified identifier
     */
    public Builder leaseTable(String table) {
      Objects.requireNonNull(table, "table");
      if (!QUALIFIED.matcher(table).matches()) {
        throw new IllegalArgumentException(
            "leaseTable must be a plain or schema-qualified identifier, but was '" + table + "'");
      }
      this.leaseTable = table;
      return this;
    }

    public RetentionRunner build() {
      return new RetentionRunner(this);
    }
  }
}
