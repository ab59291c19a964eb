package io.github.reliability4j.jdbc.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.jdbc.retention.RetentionTables.Db;
import io.github.reliability4j.test.services.Services;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * On a 1,000,000-row table (machine PostgreSQL), every batch's transaction, as the runner records
 * it, stays within the time budget once the size has adapted. Wall-clock figures on a shared 2-core
 * machine are noisy, so the assertion leaves generous headroom (3x the budget for any batch, the
 * budget itself for 95% of them) and the measured figures are printed; the sizing rule itself is
 * asserted exactly with simulated durations in {@link BatchSizerTest}.
 */
class BatchTimeBudgetTest {

  static final Duration BUDGET = Duration.ofMillis(400);

  @Test
  void batchesStayWithinTheBudgetOnAMillionRowTable() throws Exception {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(Services.postgresJdbcUrl());
    String t = RetentionTables.unique("ret_1m");
    try {
      RetentionTables.create(ds, Db.POSTGRES, t, false);
      // 400,000 eligible rows among 1,000,000
      RetentionTables.bulkOld(ds, Db.POSTGRES, t, 400_000, 30);
      RetentionTables.exec(
          ds,
          "INSERT INTO "
              + t
              + " (created_at, status, payload) SELECT now(), 'NEW', 'n' || g"
              + " FROM generate_series(1, 600000) g",
          "ANALYZE " + t);
      List<Duration> durations = new CopyOnWriteArrayList<>();
      List<Integer> sizes = new CopyOnWriteArrayList<>();
      RetentionRun run =
          RetentionRunner.builder(
                  ds,
                  RetentionPolicy.custom()
                      .table(t)
                      .ageColumn("created_at")
                      .maxAge(Duration.ofDays(7))
                      .initialBatchSize(200)
                      .maxBatchSize(10_000)
                      .batchTimeBudget(BUDGET)
                      .pauseBetweenBatches(Duration.ZERO)
                      .build())
              .listener(
                  e -> {
                    if (e.type() == RetentionEvent.Type.BATCH) {
                      durations.add(e.duration());
                      sizes.add(e.batchSize());
                    }
                  })
              .build()
              .run();
      assertThat(run.outcome()).isEqualTo(RetentionRun.Outcome.COMPLETED);
      assertThat(run.rowsDeleted()).isEqualTo(400_000);
      assertThat(RetentionTables.count(ds, "SELECT count(*) FROM " + t)).isEqualTo(600_000);
      List<Duration> sorted = new ArrayList<>(durations);
      Collections.sort(sorted);
      Duration p95 = sorted.get((int) (sorted.size() * 0.95));
      System.out.printf(
          "1M-row table: %d batches, sizes %d..%d, batch time max %d ms, p95 %d ms, budget %d"
              + " ms, %d rows/s%n",
          durations.size(),
          Collections.min(sizes),
          Collections.max(sizes),
          run.maxBatchDuration().toMillis(),
          p95.toMillis(),
          BUDGET.toMillis(),
          run.rowsDeleted() * 1000 / Math.max(1, run.duration().toMillis()));
      assertThat(Collections.max(sizes)).as("the size adapted upwards").isGreaterThan(200);
      assertThat(run.maxBatchDuration()).isEqualTo(Collections.max(durations));
      assertThat(p95).isLessThanOrEqualTo(BUDGET);
      assertThat(run.maxBatchDuration()).isLessThanOrEqualTo(BUDGET.multipliedBy(3));
    } finally {
      RetentionTables.drop(ds, t);
    }
  }
}
