package io.github.reliability4j.spring.retention;

import io.github.reliability4j.jdbc.retention.RetentionScheduler;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Runs the enabled policies every {@code reliability.retention.interval} on one daemon thread;
 * stopped (the running batch finishes or rolls back) when the context closes.
 */
public final class RetentionSchedulerLifecycle
    implements SmartInitializingSingleton, DisposableBean {

  private final RetentionPolicies policies;
  private final Duration interval;
  private ScheduledExecutorService executor;
  private RetentionScheduler scheduler;

  RetentionSchedulerLifecycle(RetentionPolicies policies, Duration interval) {
    this.policies = policies;
    this.interval = interval;
  }

  @Override
  public void afterSingletonsInstantiated() {
    if (policies.getScheduled().isEmpty()) {
      return;
    }
    executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "reliability4j-retention");
              t.setDaemon(true);
              return t;
            });
    scheduler = RetentionScheduler.start(policies.scheduledRunners(), executor, interval);
  }

  /** The scheduler, or null when no policy is enabled. */
  public RetentionScheduler getScheduler() {
    return scheduler;
  }

  @Override
  public void destroy() {
    if (scheduler != null) {
      scheduler.close();
    }
    if (executor != null) {
      executor.shutdownNow();
    }
  }
}
