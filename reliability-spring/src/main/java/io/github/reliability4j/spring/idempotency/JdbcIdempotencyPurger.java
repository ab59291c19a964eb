package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.IdempotencyPurgeScheduler;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Deletes expired records of the auto-configured {@link JdbcIdempotencyStore} every {@code
 * reliability.idempotency.jdbc.purge-interval} on one daemon thread; does nothing for other stores.
 * Stopped when the context closes.
 */
public final class JdbcIdempotencyPurger implements SmartInitializingSingleton, DisposableBean {

  private final ObjectProvider<IdempotencyStore> store;
  private final Duration interval;
  private ScheduledExecutorService executor;
  private IdempotencyPurgeScheduler scheduler;

  JdbcIdempotencyPurger(ObjectProvider<IdempotencyStore> store, Duration interval) {
    this.store = store;
    this.interval = interval;
  }

  @Override
  public void afterSingletonsInstantiated() {
    if (interval.isZero() || !(store.getIfUnique() instanceof JdbcIdempotencyStore jdbc)) {
      return;
    }
    executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "reliability4j-idempotency-purge");
              t.setDaemon(true);
              return t;
            });
    scheduler = IdempotencyPurgeScheduler.start(jdbc, executor, interval);
  }

  /** The running scheduler's statistics holder, or {@code null} when not purging. */
  public IdempotencyPurgeScheduler getScheduler() {
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
