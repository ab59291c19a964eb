package io.github.reliability4j.jdbc.retention;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.jdbc.retention.RetentionTables.Db;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.jdbc.routing.RoutingConfig;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicaNode;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Lag-aware throttling against a real streaming replica: with replay paused the runner stops within
 * one batch, and it resumes once replay resumes. The lag comes from the routing DataSource's own
 * lag view.
 */
@ReplicatedPostgres(replicas = 1)
class ReplicaLagThrottlingTest {

  static final Duration WAIT = Duration.ofSeconds(60);
  static final Duration BOUND = Duration.ofSeconds(1);

  @Test
  void pausedReplayStopsTheRunnerWithinOneBatchAndResumingReplayResumesIt(PostgresCluster cluster)
      throws Exception {
    cluster.resetReplicas();
    HikariDataSource primary = pool("primary", cluster.primary().jdbcUrl());
    ReplicaNode replica = cluster.replica(0);
    HikariDataSource replicaPool = pool(replica.name(), replica.jdbcUrl());
    String t = RetentionTables.unique("ret_lag");
    try (ReplicaRoutingDataSource routing =
        new ReplicaRoutingDataSource(
            RoutingConfig.custom()
                .primary("primary", primary)
                .replica(replica.name(), replicaPool)
                .tokenKey("retention-lag-test-key-0123456789".getBytes(StandardCharsets.UTF_8))
                .policy(
                    RoutingPolicy.custom()
                        .sampleInterval(Duration.ofMillis(100))
                        .sampleExpiry(Duration.ofSeconds(30))
                        .maxReplicaLag(Duration.ofSeconds(30))
                        .probeTimeout(Duration.ofSeconds(5))
                        .build())
                .build())) {
      RetentionTables.create(primary, Db.POSTGRES, t, true);
      RetentionTables.exec(primary, "CREATE TABLE " + t + "_tick (n int)");
      RetentionTables.bulkOld(primary, Db.POSTGRES, t, 20_000, 30);
      cluster.awaitReplicasCaughtUp(WAIT);

      List<RetentionEvent> events = new CopyOnWriteArrayList<>();
      AtomicLong maxLagAtBatchMillis = new AtomicLong();
      RetentionRunner runner =
          RetentionRunner.builder(
                  primary,
                  RetentionPolicy.custom()
                      .table(t)
                      .ageColumn("created_at")
                      .maxAge(Duration.ofDays(7))
                      .archiveThenDelete(t + "_archive")
                      .fixedBatchSize(500)
                      .maxReplicaLag(BOUND)
                      .throttlePollInterval(Duration.ofMillis(100))
                      .build())
              .lagView(routing.lagView())
              .listener(
                  e -> {
                    events.add(e);
                    if (e.type() == RetentionEvent.Type.BATCH) {
                      maxLagAtBatchMillis.accumulateAndGet(lag(routing).toMillis(), Math::max);
                    }
                    if (e.type() == RetentionEvent.Type.BATCH && e.batch() == 3) {
                      replica.pauseReplay();
                      try {
                        RetentionTables.exec(primary, "INSERT INTO " + t + "_tick VALUES (1)");
                      } catch (java.sql.SQLException ex) {
                        throw new IllegalStateException(ex);
                      }
                      // block the runner until the lag view sees the replica behind the bound
                      poll(() -> lag(routing).compareTo(BOUND) > 0);
                    }
                  })
              .build();

      CompletableFuture<RetentionRun> run = CompletableFuture.supplyAsync(runner::run);
      poll(() -> throttledEvents(events) >= 5);
      long batchesWhilePaused = batches(events);
      assertThat(batchesWhilePaused)
          .as("no batch after the lag passed the bound: the runner stopped within one batch")
          .isEqualTo(3);
      Duration pausedLag = lag(routing);
      assertThat(
              events.stream()
                  .filter(e -> e.type() == RetentionEvent.Type.THROTTLED)
                  .findFirst()
                  .orElseThrow()
                  .reason())
          .startsWith("replica " + replica.name() + " lags ")
          .endsWith("more than maxReplicaLag PT1S");
      replica.resumeReplay();

      RetentionRun result = run.get(120, TimeUnit.SECONDS);
      assertThat(result.outcome()).isEqualTo(RetentionRun.Outcome.COMPLETED);
      assertThat(result.rowsArchived()).isEqualTo(20_000);
      assertThat(result.throttled()).isPositive();
      assertThat(batches(events)).as("it resumed after replay resumed").isEqualTo(41);
      System.out.printf(
          "replica lag: %d ms while paused (bound %d ms); max lag seen at a batch end outside"
              + " the pause %d ms; throttled %d ms%n",
          pausedLag.toMillis(),
          BOUND.toMillis(),
          maxLagAtBatchMillis.get(),
          result.throttled().toMillis());
    } finally {
      RetentionTables.drop(primary, t, t + "_archive", t + "_tick");
      primary.close();
      replicaPool.close();
    }
  }

  private static long batches(List<RetentionEvent> events) {
    return events.stream().filter(e -> e.type() == RetentionEvent.Type.BATCH).count();
  }

  private static long throttledEvents(List<RetentionEvent> events) {
    return events.stream().filter(e -> e.type() == RetentionEvent.Type.THROTTLED).count();
  }

  private static Duration lag(ReplicaRoutingDataSource routing) {
    Duration max = Duration.ZERO;
    for (ReplicaStatus r : routing.lagView().replicas()) {
      LagSample s = r.lastSample();
      if (s != null && s.isKnown() && s.lag().compareTo(max) > 0) {
        max = s.lag();
      }
    }
    return max;
  }

  private static void poll(BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + WAIT);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static HikariDataSource pool(String name, String url) {
    return RetentionTables.pool(url, "retention-lag-" + name, 4);
  }
}
