package io.github.reliability4j.jdbc.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.ReplicaLagView;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.jdbc.retention.RetentionTables.Db;
import io.github.reliability4j.test.idempotency.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The runner's logic on H2, with a fake clock and sleeper: nothing here sleeps. */
class RetentionRunnerH2Test {

  private static final AtomicInteger DB = new AtomicInteger();

  MutableClock clock = MutableClock.create();
  List<Duration> slept = new CopyOnWriteArrayList<>();
  Sleeper sleeper =
      d -> {
        slept.add(d);
        clock.advance(d);
      };
  DataSource ds;
  String t = "orders";

  @BeforeEach
  void setUp() throws Exception {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:retention" + DB.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
    ds = h2;
    RetentionTables.create(ds, Db.H2, t, true);
  }

  RetentionPolicy.Builder policy() {
    return RetentionPolicy.custom()
        .table(t)
        .ageColumn("created_at")
        .maxAge(Duration.ofDays(7))
        .archiveThenDelete(t + "_archive")
        .fixedBatchSize(100);
  }

  RetentionRunner.Builder runner(RetentionPolicy p) {
    return RetentionRunner.builder(ds, p).clock(clock).sleeper(sleeper);
  }

  Instant old() {
    return clock.instant().minus(Duration.ofDays(30));
  }

  @Test
  void archivesExactlyTheEligibleRowsInBatchesAndKeepsTheRest() throws Exception {
    RetentionTables.insert(ds, t, 450, old(), "DONE");
    RetentionTables.insert(ds, t, 50, old(), "OPEN");
    RetentionTables.insert(ds, t, 70, clock.instant().minus(Duration.ofDays(1)), "DONE");
    Set<Long> before = RetentionTables.ids(ds, t);
    List<RetentionEvent> events = new CopyOnWriteArrayList<>();
    RetentionRunner runner =
        runner(policy().extraCondition("status = 'DONE'").build()).listener(events::add).build();

    RetentionPlan plan = runner.plan();
    assertThat(plan.eligibleRows()).isEqualTo(450);
    assertThat(plan.estimatedBatches()).isEqualTo(5);
    assertThat(plan.oldestEligibleAge()).contains(Duration.ofDays(30));
    assertThat(RetentionTables.ids(ds, t)).as("a dry run changes nothing").isEqualTo(before);

    RetentionRun run = runner.run();
    assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.COMPLETED);
    assertThat(run.rowsArchived()).isEqualTo(450);
    assertThat(run.rowsDeleted()).isEqualTo(450);
    assertThat(run.batches()).isEqualTo(5);
    Set<Long> live = RetentionTables.ids(ds, t);
    Set<Long> archived = RetentionTables.ids(ds, t + "_archive");
    assertThat(live).hasSize(120).doesNotContainAnyElementsOf(archived);
    Set<Long> union = new HashSet<>(live);
    union.addAll(archived);
    assertThat(union).isEqualTo(before);
    assertThat(
            RetentionTables.count(
                ds, "SELECT count(*) FROM " + t + "_archive WHERE status <> 'DONE'"))
        .isZero();
    assertThat(events)
        .extracting(RetentionEvent::type)
        .startsWith(RetentionEvent.Type.RUN_STARTED)
        .endsWith(RetentionEvent.Type.RUN_FINISHED)
        .filteredOn(e -> e == RetentionEvent.Type.BATCH)
        .hasSize(5);
    assertThat(slept)
        .as("a fixed pause between batches without a lag view")
        .hasSize(4)
        .allMatch(d -> d.equals(RetentionPolicy.DEFAULT_PAUSE_BETWEEN_BATCHES));
    assertThat(runner.getLastRun()).contains(run);
    assertThat(runner.plan().eligibleRows()).isZero();
    assertThat(runner.run().rowsDeleted()).isZero();
  }

  @Test
  void deleteActionDeletesWithoutArchive() throws Exception {
    RetentionTables.insert(ds, t, 250, old(), "DONE");
    RetentionTables.insert(ds, t, 5, clock.instant(), "DONE");
    RetentionRun run = runner(policy().delete().build()).build().run();
    assertThat(run.rowsDeleted()).isEqualTo(250);
    assertThat(run.rowsArchived()).isZero();
    assertThat(RetentionTables.ids(ds, t)).hasSize(5);
    assertThat(RetentionTables.ids(ds, t + "_archive")).isEmpty();
  }

  @Test
  void epochMillisAgeColumn() throws Exception {
    RetentionTables.exec(
        ds,
        "CREATE TABLE events (id BIGINT PRIMARY KEY, created_ms BIGINT NOT NULL)",
        "CREATE INDEX events_ms ON events (created_ms)",
        "INSERT INTO events VALUES (1, "
            + old().toEpochMilli()
            + "), (2, "
            + clock.millis()
            + "), (3, "
            + old().toEpochMilli()
            + ")");
    RetentionPolicy p =
        RetentionPolicy.custom()
            .table("events")
            .ageColumn("created_ms", RetentionPolicy.AgeType.EPOCH_MILLIS)
            .maxAge(Duration.ofDays(1))
            .build();
    RetentionRun run = runner(p).build().run();
    assertThat(run.rowsDeleted()).isEqualTo(2);
    assertThat(RetentionTables.ids(ds, "events")).containsExactly(2L);
  }

  @Test
  void aRunnerThatLostItsLeaseStopsBeforeTouchingTheTable() throws Exception {
    RetentionTables.insert(ds, t, 1000, old(), "DONE");
    Set<Long> before = RetentionTables.ids(ds, t);
    RetentionPolicy p = policy().leaseDuration(Duration.ofMinutes(1)).build();
    RetentionRunner other = runner(p).build();
    AtomicReference<RetentionRun> otherRun = new AtomicReference<>();
    RetentionRunner first =
        runner(p)
            .listener(
                e -> {
                  if (e.type() == RetentionEvent.Type.BATCH && e.batch() == 2) {
                    // the first runner stalls past its lease; the other takes over and finishes
                    clock.advance(Duration.ofMinutes(2));
                    otherRun.set(other.run());
                  }
                })
            .build();
    RetentionRun run = first.run();
    assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.LEASE_LOST);
    assertThat(run.failure()).hasMessageContaining("taken over by another runner");
    assertThat(run.rowsArchived()).isEqualTo(200);
    assertThat(otherRun.get().outcome()).isEqualTo(RetentionRun.Outcome.COMPLETED);
    assertThat(otherRun.get().rowsArchived()).isEqualTo(800);
    assertThat(RetentionTables.ids(ds, t)).isEmpty();
    assertThat(RetentionTables.ids(ds, t + "_archive")).isEqualTo(before);
  }

  @Test
  void aLiveLeaseMakesTheSecondRunnerSkip() throws Exception {
    RetentionTables.insert(ds, t, 300, old(), "DONE");
    RetentionPolicy p = policy().build();
    RetentionRunner second = runner(p).build();
    AtomicReference<RetentionRun> secondRun = new AtomicReference<>();
    RetentionRunner first =
        runner(p)
            .listener(
                e -> {
                  if (e.type() == RetentionEvent.Type.BATCH && e.batch() == 1) {
                    secondRun.set(second.run());
                  }
                })
            .build();
    assertThat(first.run().rowsArchived()).isEqualTo(300);
    assertThat(secondRun.get().outcome()).isEqualTo(RetentionRun.Outcome.LEASE_HELD);
    assertThat(secondRun.get().rowsDeleted()).isZero();
    assertThat(second.run().outcome())
        .as("the lease ends with the run")
        .isEqualTo(RetentionRun.Outcome.COMPLETED);
  }

  @Test
  void pausesWhileAReplicaLagsAndResumesWhenItCatchesUp() throws Exception {
    RetentionTables.insert(ds, t, 300, old(), "DONE");
    FakeLagView lag = new FakeLagView();
    List<RetentionEvent> events = new CopyOnWriteArrayList<>();
    AtomicInteger polls = new AtomicInteger();
    RetentionPolicy p = policy().maxReplicaLag(Duration.ofSeconds(2)).build();
    Sleeper counting =
        d -> {
          sleeper.sleep(d);
          if (polls.incrementAndGet() == 5) {
            lag.lag.set(Duration.ofMillis(100)); // caught up
          }
        };
    RetentionRunner runner =
        RetentionRunner.builder(ds, p)
            .clock(clock)
            .sleeper(counting)
            .lagView(lag)
            .listener(
                e -> {
                  events.add(e);
                  if (e.type() == RetentionEvent.Type.BATCH && e.batch() == 1) {
                    lag.lag.set(Duration.ofSeconds(3));
                  }
                })
            .build();
    RetentionRun run = runner.run();
    assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.COMPLETED);
    assertThat(run.rowsArchived()).isEqualTo(300);
    assertThat(run.throttled()).isEqualTo(p.getThrottlePollInterval().multipliedBy(5));
    List<RetentionEvent.Type> types = events.stream().map(RetentionEvent::type).toList();
    int firstThrottle = types.indexOf(RetentionEvent.Type.THROTTLED);
    assertThat(types.subList(0, firstThrottle))
        .containsExactly(RetentionEvent.Type.RUN_STARTED, RetentionEvent.Type.BATCH);
    assertThat(types.subList(firstThrottle, firstThrottle + 5))
        .as("no batch while the replica lags")
        .containsOnly(RetentionEvent.Type.THROTTLED);
    assertThat(events.get(firstThrottle).reason())
        .isEqualTo("replica r1 lags PT3S, more than maxReplicaLag PT2S");
    assertThat(slept).as("no fixed pause with a lag view").hasSize(5);
  }

  @Test
  void aPauseLongerThanTheLeaseKeepsTheLeaseWithoutRenewingAtEveryPoll() throws Exception {
    RetentionTables.insert(ds, t, 300, old(), "DONE");
    RetentionPolicy p = policy().leaseDuration(Duration.ofMinutes(1)).build();
    AtomicReference<HealthStatus> ready = new AtomicReference<>(HealthStatus.PASS);
    AtomicInteger polls = new AtomicInteger();
    AtomicReference<RetentionRun> secondRun = new AtomicReference<>();
    RetentionRunner second = runner(p).build();
    Sleeper pausing =
        d -> {
          sleeper.sleep(d);
          int n = polls.incrementAndGet();
          if (n == 750) { // 150 s into the pause: 2.5 leases after the last batch's renewal
            secondRun.set(second.run());
          }
          if (n == 900) {
            ready.set(HealthStatus.PASS);
          }
        };
    RetentionRunner first =
        RetentionRunner.builder(countingRenewals(), p)
            .clock(clock)
            .sleeper(pausing)
            .readiness(ready::get)
            .listener(
                e -> {
                  if (e.type() == RetentionEvent.Type.BATCH && e.batch() == 1) {
                    ready.set(HealthStatus.WARN);
                  }
                })
            .build();
    long updatesBefore = leaseUpdates();
    RetentionRun run = first.run();
    assertThat(secondRun.get().outcome())
        .as("the paused runner kept its lease")
        .isEqualTo(RetentionRun.Outcome.LEASE_HELD);
    assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.COMPLETED);
    assertThat(run.rowsArchived()).isEqualTo(300);
    assertThat(run.throttled()).isGreaterThan(Duration.ofMinutes(2));
    // 900 polls of 200 ms: a renewal every 15 s (a quarter of the lease), not one per poll
    assertThat(leaseUpdates() - updatesBefore).isBetween(10L, 20L);
  }

  @Test
  void aLeaseTakenOverDuringAPauseStopsTheRunBeforeItsNextBatch() throws Exception {
    RetentionTables.insert(ds, t, 300, old(), "DONE");
    Set<Long> before = RetentionTables.ids(ds, t);
    RetentionPolicy p = policy().leaseDuration(Duration.ofMinutes(1)).build();
    AtomicReference<HealthStatus> ready = new AtomicReference<>(HealthStatus.PASS);
    AtomicReference<RetentionRun> otherRun = new AtomicReference<>();
    RetentionRunner other = runner(p).build();
    Sleeper stalling =
        d -> {
          sleeper.sleep(d);
          if (otherRun.get() == null) {
            // the paused runner stalls past its lease (e.g. a GC pause); the other takes over
            clock.advance(Duration.ofMinutes(2));
            otherRun.set(other.run());
            ready.set(HealthStatus.PASS);
          }
        };
    RetentionRunner first =
        RetentionRunner.builder(ds, p)
            .clock(clock)
            .sleeper(stalling)
            .readiness(ready::get)
            .listener(
                e -> {
                  if (e.type() == RetentionEvent.Type.BATCH && e.batch() == 1) {
                    ready.set(HealthStatus.WARN);
                  }
                })
            .build();
    RetentionRun run = first.run();
    assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.LEASE_LOST);
    assertThat(run.rowsArchived()).as("only the batch before the pause").isEqualTo(100);
    assertThat(otherRun.get().outcome()).isEqualTo(RetentionRun.Outcome.COMPLETED);
    assertThat(otherRun.get().rowsArchived()).isEqualTo(200);
    assertThat(RetentionTables.ids(ds, t)).isEmpty();
    assertThat(RetentionTables.ids(ds, t + "_archive")).isEqualTo(before);
  }

  /** Lease renewals prepared on connections of {@link #countingRenewals()} so far. */
  private long leaseUpdates() {
    return renewals.get();
  }

  private final java.util.concurrent.atomic.AtomicLong renewals =
      new java.util.concurrent.atomic.AtomicLong();

  /** {@link #ds}, counting the lease renewals prepared on its connections. */
  private DataSource countingRenewals() {
    return new DelegatingDataSource(ds) {
      @Override
      public java.sql.Connection getConnection() throws java.sql.SQLException {
        java.sql.Connection c = super.getConnection();
        return (java.sql.Connection)
            java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {java.sql.Connection.class},
                (proxy, m, args) -> {
                  if (m.getName().equals("prepareStatement")
                      && ((String) args[0]).contains("SET expires_at = ? WHERE policy = ? AND")) {
                    renewals.incrementAndGet();
                  }
                  try {
                    return m.invoke(c, args);
                  } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
      }
    };
  }

  @Test
  void aReplicaWithUnknownLagDoesNotPause() throws Exception {
    RetentionTables.insert(ds, t, 150, old(), "DONE");
    FakeLagView lag = new FakeLagView();
    lag.lag.set(null);
    RetentionRun run = runner(policy().build()).lagView(lag).build().run();
    assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.COMPLETED);
    assertThat(run.throttled()).isZero();
  }

  @Test
  void givesUpAfterMaxThrottleTimeAndKeepsWhatItDid() throws Exception {
    RetentionTables.insert(ds, t, 300, old(), "DONE");
    AtomicReference<HealthStatus> ready = new AtomicReference<>(HealthStatus.PASS);
    Set<Integer> warned = new HashSet<>();
    List<RetentionEvent> events = new CopyOnWriteArrayList<>();
    RetentionRunner runner =
        runner(policy().maxThrottleTime(Duration.ofSeconds(2)).build())
            .readiness(ready::get)
            .listener(
                e -> {
                  events.add(e);
                  if (e.type() == RetentionEvent.Type.BATCH && e.batch() == 1 && warned.add(1)) {
                    ready.set(HealthStatus.WARN);
                  }
                })
            .build();
    RetentionRun run = runner.run();
    assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.THROTTLED);
    assertThat(run.rowsArchived()).isEqualTo(100);
    assertThat(events)
        .filteredOn(e -> e.type() == RetentionEvent.Type.THROTTLED)
        .hasSize(10)
        .allMatch(e -> e.reason().equals("readiness is WARN"));
    assertThat(run.throttled()).isEqualTo(Duration.ofSeconds(2));
    ready.set(HealthStatus.PASS);
    assertThat(runner.run().rowsArchived()).as("the next run continues").isEqualTo(200);
    assertThat(RetentionTables.ids(ds, t + "_archive")).hasSize(300);
  }

  @Test
  void stopsAtTheRunTimeLimit() throws Exception {
    RetentionTables.insert(ds, t, 500, old(), "DONE");
    RetentionRunner runner =
        runner(
                policy()
                    .maxRunDuration(Duration.ofMillis(120))
                    .pauseBetweenBatches(Duration.ofMillis(50))
                    .build())
            .build();
    RetentionRun run = runner.run();
    assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.TIME_LIMIT);
    assertThat(run.batches()).isEqualTo(3);
    assertThat(RetentionTables.ids(ds, t)).hasSize(200);
  }

  @Test
  void backlogProbeWarnsOnceRetentionFallsBehind() throws Exception {
    RetentionRunner runner = runner(policy().backlogSlack(Duration.ofHours(1)).build()).build();
    ProbeContext ctx = new ProbeContext("retention", clock.instant(), Duration.ofSeconds(5));
    RetentionBacklogProbe probe = RetentionBacklogProbe.of(runner);
    assertThat(probe.check(ctx).status()).isEqualTo(HealthStatus.PASS);
    RetentionTables.insert(
        ds, t, 3, clock.instant().minus(Duration.ofDays(7)).minus(Duration.ofMinutes(30)), "DONE");
    ProbeResult within = probe.check(ctx);
    assertThat(within.status()).isEqualTo(HealthStatus.PASS);
    assertThat(within.observedValue()).isEqualTo(1800L);
    clock.advance(Duration.ofMinutes(31));
    ProbeResult behind = probe.check(ctx);
    assertThat(behind.status()).isEqualTo(HealthStatus.WARN);
    assertThat(behind.output())
        .isEqualTo(
            "retention of orders is behind: the oldest eligible row is PT169H1M old, more than"
                + " maxAge PT168H + slack PT1H");
    runner.run();
    assertThat(probe.check(ctx).status()).isEqualTo(HealthStatus.PASS);
  }

  @Test
  void aFailingListenerDoesNotStopTheRun() throws Exception {
    RetentionTables.insert(ds, t, 250, old(), "DONE");
    RetentionRun run =
        runner(policy().build())
            .listener(
                e -> {
                  throw new IllegalStateException("listener bug");
                })
            .build()
            .run();
    assertThat(run.rowsArchived()).isEqualTo(250);
  }

  @Test
  void aDatabaseFailureEndsTheRunAsFailedWithTheBatchRolledBack() throws Exception {
    RetentionTables.insert(ds, t, 250, old(), "DONE");
    // an archive row with a key the second batch copies: its INSERT fails on the primary key
    Set<Long> ids = RetentionTables.ids(ds, t);
    long conflicting = ids.stream().sorted().skip(150).findFirst().orElseThrow();
    RetentionTables.exec(
        ds,
        "INSERT INTO "
            + t
            + "_archive (id, created_at, status) VALUES ("
            + conflicting
            + ", CURRENT_TIMESTAMP, 'X')");
    RetentionRun run = runner(policy().build()).build().run();
    assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.FAILED);
    assertThat(run.rowsArchived()).isEqualTo(100);
    assertThat(RetentionTables.ids(ds, t)).hasSize(150).contains(conflicting);
    assertThat(RetentionTables.ids(ds, t + "_archive")).hasSize(101);
  }

  /** One replica whose lag the test sets. */
  static final class FakeLagView implements ReplicaLagView {
    final AtomicReference<Duration> lag = new AtomicReference<>(Duration.ZERO);

    @Override
    public List<ReplicaStatus> replicas() {
      Duration l = lag.get();
      LagSample s =
          new LagSample(
              "r1",
              Instant.EPOCH,
              null,
              l == null ? -1 : 0,
              l,
              null,
              l == null ? new IllegalStateException("down") : null,
              true);
      return List.of(new ReplicaStatus("r1", true, "CLOSED", s, null, 0));
    }

    @Override
    public Duration maxLag() {
      return Duration.ofSeconds(10);
    }
  }
}
