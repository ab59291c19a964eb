package io.github.reliability4j.jdbc.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.jdbc.retention.RetentionTables.Db;
import io.github.reliability4j.test.idempotency.MutableClock;
import io.github.reliability4j.test.services.Services;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * On a 1,000,000-row table (machine PostgreSQL), the batch size the runner's sizer picks keeps
 * every batch within the time budget, and a batch over it (after the cost per row tripled mid-run)
 * is followed by a smaller one that fits again. Deterministic: the runner's clock is a {@link
 * MutableClock} that only the database statements move, by a linear cost model ({@link #FIXED} per
 * batch plus {@link #PER_ROW} per row the batch asks for, i.e. its {@code LIMIT}), so the sizer
 * sees the same durations on a loaded machine as on a quiet one. The real database still deletes
 * every row. The model's largest batch ({@code maxBatchSize}) costs more than the budget, so a
 * sizer that ignored the budget would fail the test. The wall-clock longest batch on a
 * 1,000,000-row table is measured by {@code RetentionBenchmark} (see benchmarks/RESULTS.md).
 */
class BatchTimeBudgetTest {

  static final Duration BUDGET = Duration.ofMillis(400);
  static final Duration FIXED = Duration.ofMillis(2);
  static final Duration PER_ROW = Duration.ofNanos(50_000);
  static final int MAX_BATCH = 10_000;

  /** From this batch (1-based) on, each row costs three times as much. */
  static final int SLOWER_FROM = 40;

  static final Pattern LIMIT = Pattern.compile("LIMIT (\\d+)");

  @Test
  void batchesStayWithinTheBudgetOnAMillionRowTable() throws Exception {
    assertThat(PER_ROW.multipliedBy(MAX_BATCH).plus(FIXED))
        .as("the largest allowed batch costs more than the budget")
        .isGreaterThan(BUDGET);
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(Services.postgresJdbcUrl());
    String t = RetentionTables.unique("ret_1m");
    MutableClock clock = MutableClock.at(Instant.now());
    AtomicInteger batchStatements = new AtomicInteger();
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
                  costModel(ds, clock, batchStatements),
                  RetentionPolicy.custom()
                      .table(t)
                      .ageColumn("created_at")
                      .maxAge(Duration.ofDays(7))
                      .initialBatchSize(200)
                      .maxBatchSize(MAX_BATCH)
                      .batchTimeBudget(BUDGET)
                      .pauseBetweenBatches(Duration.ZERO)
                      .build())
              .clock(clock)
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
      System.out.printf(
          "1M-row table, modelled cost %s + %s/row (x3 from batch %d): %d batches, sizes %s,"
              + " modelled batch time max %d ms, budget %d ms%n",
          FIXED,
          PER_ROW,
          SLOWER_FROM,
          durations.size(),
          sizes,
          run.maxBatchDuration().toMillis(),
          BUDGET.toMillis());
      assertThat(durations.size()).isGreaterThan(SLOWER_FROM + 1);
      for (int i = 0; i < durations.size(); i++) {
        int batch = i + 1;
        assertThat(durations.get(i))
            .as("batch %d took what the model charges for its size %d", batch, sizes.get(i))
            .isEqualTo(cost(sizes.get(i), batch));
        if (batch != 1 && batch != SLOWER_FROM) {
          assertThat(durations.get(i))
              .as("batch %d (size %d) within the budget", batch, sizes.get(i))
              .isLessThanOrEqualTo(BUDGET);
        }
      }
      List<Integer> before = new ArrayList<>(sizes.subList(0, SLOWER_FROM - 1));
      assertThat(before.stream().mapToInt(Integer::intValue).max().getAsInt())
          .as("the size adapted upwards from 200")
          .isGreaterThan(1000);
      assertThat(durations.get(SLOWER_FROM - 1))
          .as("the first batch at the higher cost exceeded the budget: the sizer had to react")
          .isGreaterThan(BUDGET);
      assertThat(sizes.get(SLOWER_FROM)).isLessThan(sizes.get(SLOWER_FROM - 1));
      assertThat(run.maxBatchDuration()).isEqualTo(durations.get(SLOWER_FROM - 1));
    } finally {
      RetentionTables.drop(ds, t);
    }
  }

  static Duration cost(int rows, int batch) {
    return FIXED.plus(PER_ROW.multipliedBy(batch >= SLOWER_FROM ? 3L * rows : rows));
  }

  /**
   * Connections whose statements carrying a {@code LIMIT n} (the batch's keyset page: one per
   * batch, whichever SQL path the runner takes) advance {@code clock} by {@link #cost}.
   */
  static DataSource costModel(DataSource ds, MutableClock clock, AtomicInteger batches) {
    return new DelegatingDataSource(ds) {
      @Override
      public Connection getConnection() throws SQLException {
        Connection c = super.getConnection();
        return proxy(
            Connection.class,
            c,
            (m, args, result) -> {
              if (m.getName().equals("prepareStatement") && result instanceof PreparedStatement) {
                Matcher limit = LIMIT.matcher((String) args[0]);
                if (limit.find()) {
                  int rows = Integer.parseInt(limit.group(1));
                  return proxy(
                      PreparedStatement.class,
                      (PreparedStatement) result,
                      (pm, pargs, presult) -> {
                        if (pm.getName().startsWith("execute")) {
                          clock.advance(cost(rows, batches.incrementAndGet()));
                        }
                        return presult;
                      });
                }
              }
              return result;
            });
      }
    };
  }

  interface After {
    Object apply(Method m, Object[] args, Object result) throws SQLException;
  }

  static <T> T proxy(Class<T> type, T target, After after) {
    InvocationHandler h =
        (p, m, args) -> {
          Object result;
          try {
            result = m.invoke(target, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          return after.apply(m, args, result);
        };
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h));
  }
}
