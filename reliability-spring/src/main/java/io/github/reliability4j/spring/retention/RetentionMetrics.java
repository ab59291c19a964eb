package io.github.reliability4j.spring.retention;

import io.github.reliability4j.jdbc.retention.RetentionEvent;
import io.github.reliability4j.jdbc.retention.RetentionListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Micrometer meters from retention events, all tagged {@code policy}:
 *
 * <ul>
 *   <li>{@code reliability.retention.rows} (counter, tag {@code action} = archived / deleted);
 *   <li>{@code reliability.retention.batches} (counter) and {@code
 *       reliability.retention.batch.duration} (timer: each batch's transaction);
 *   <li>{@code reliability.retention.throttled} (counter of throttle pauses, tag {@code reason} is
 *       not used to keep cardinality bounded);
 *   <li>{@code reliability.retention.runs} (counter, tag {@code outcome});
 *   <li>{@code reliability.retention.last.run} (gauge: epoch seconds of the last finished run).
 * </ul>
 *
 * The backlog age is reported by the "retention backlog" health probe, which queries it.
 */
public final class RetentionMetrics implements RetentionListener {

  private final MeterRegistry registry;
  private final Map<String, AtomicLong> lastRun = new ConcurrentHashMap<>();

  public RetentionMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  private static final String ROWS = "Rows removed by retention, by policy and action";

  @Override
  public void onEvent(RetentionEvent e) {
    switch (e.type()) {
      case BATCH -> {
        Counter.builder("reliability.retention.batches")
            .description("Retention batches run, by policy")
            .baseUnit("batches")
            .tag("policy", e.policy())
            .register(registry)
            .increment();
        Timer.builder("reliability.retention.batch.duration")
            .description("Duration of one retention batch, by policy")
            .tag("policy", e.policy())
            .register(registry)
            .record(e.duration());
        Counter.builder("reliability.retention.rows")
            .description(ROWS)
            .baseUnit("rows")
            .tag("policy", e.policy())
            .tag("action", "deleted")
            .register(registry)
            .increment(e.rows());
      }
      case THROTTLED ->
          Counter.builder("reliability.retention.throttled")
              .description("Retention batches shrunk or paused because the database was slow")
              .baseUnit("batches")
              .tag("policy", e.policy())
              .register(registry)
              .increment();
      case RUN_FINISHED -> {
        Counter.builder("reliability.retention.runs")
            .description("Retention runs, by policy and how they ended")
            .baseUnit("runs")
            .tag("policy", e.policy())
            .tag("outcome", e.reason())
            .register(registry)
            .increment();
        // The last-run gauge first: whoever sees the archived rows counted also sees the run.
        lastRun
            .computeIfAbsent(
                e.policy(),
                p -> {
                  AtomicLong v = new AtomicLong();
                  io.micrometer.core.instrument.Gauge.builder(
                          "reliability.retention.last.run", v, AtomicLong::doubleValue)
                      .description("When the policy's last retention run finished (epoch)")
                      .baseUnit("seconds")
                      .tag("policy", p)
                      .register(registry);
                  return v;
                })
            .set(e.time().getEpochSecond());
        if (e.run() != null && e.run().rowsArchived() > 0) {
          Counter.builder("reliability.retention.rows")
              .description(ROWS)
              .baseUnit("rows")
              .tag("policy", e.policy())
              .tag("action", "archived")
              .register(registry)
              .increment(e.run().rowsArchived());
        }
      }
      default -> {}
    }
  }
}
