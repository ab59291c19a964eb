package io.github.reliability4j.jdbc.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.jdbc.retention.RetentionTables.Db;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** The scheduler runs every policy per tick; a rejected policy does not stop the others. */
class RetentionSchedulerTest {

  @Test
  void aRejectedPolicyDoesNotStopTheNextOne() throws Exception {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:retention_scheduler;DB_CLOSE_DELAY=-1");
    RetentionTables.create(ds, Db.H2, "jobs", false);
    RetentionTables.insert(ds, "jobs", 30, Instant.now().minus(Duration.ofDays(10)), "DONE");
    RetentionRunner missing =
        RetentionRunner.builder(
                ds,
                RetentionPolicy.custom()
                    .table("no_such_table")
                    .ageColumn("created_at")
                    .maxAge(Duration.ofDays(1))
                    .build())
            .build();
    RetentionRunner jobs =
        RetentionRunner.builder(
                ds,
                RetentionPolicy.custom()
                    .table("jobs")
                    .ageColumn("created_at")
                    .maxAge(Duration.ofDays(1))
                    .build())
            .build();
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try (RetentionScheduler scheduler =
        RetentionScheduler.start(List.of(missing, jobs), executor, Duration.ofHours(1))) {
      scheduler.runOnce();
      assertThat(jobs.getLastRun())
          .hasValueSatisfying(r -> assertThat(r.rowsDeleted()).isEqualTo(30));
      assertThat(missing.getLastRun()).isEmpty();
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void badArguments() {
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try {
      assertThatThrownBy(() -> RetentionScheduler.start(List.of(), executor, Duration.ofMinutes(1)))
          .hasMessage("runners must not be empty");
      assertThatThrownBy(() -> RetentionScheduler.start(List.of(), executor, Duration.ZERO))
          .hasMessage("interval must be positive, but was PT0S");
    } finally {
      executor.shutdownNow();
    }
  }
}
