package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.test.idempotency.MutableClock;
import java.lang.reflect.Proxy;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class IdempotencyPurgeSchedulerTest {

  @Test
  void purgesPeriodicallyAndSurvivesFailingRuns() throws Exception {
    AtomicBoolean down = new AtomicBoolean(false);
    DataSource h2 = TestDatabases.h2();
    DataSource flaky =
        (DataSource)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {DataSource.class},
                (p, m, a) -> {
                  if (m.getName().equals("getConnection") && down.get()) {
                    throw new SQLTransientConnectionException("down", "08001");
                  }
                  return m.invoke(h2, a);
                });
    MutableClock clock = MutableClock.create();
    JdbcIdempotencyStore store =
        JdbcIdempotencyStore.create(
            flaky, JdbcIdempotencyStoreConfig.custom().clock(clock).initializeSchema(true).build());
    RequestFingerprint fp = RequestFingerprint.sha256("r");
    for (int i = 0; i < 5; i++) {
      assertThat(store.claim(IdempotencyKey.of("s", "o", "k" + i), fp, Duration.ofSeconds(1)))
          .isInstanceOf(ClaimResult.Acquired.class);
    }
    clock.advance(Duration.ofSeconds(1));

    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
    try {
      down.set(true);
      IdempotencyPurgeScheduler scheduler =
          IdempotencyPurgeScheduler.start(store, executor, Duration.ofMillis(5));
      await(() -> scheduler.getFailures() >= 2);
      assertThat(scheduler.getLastFailure()).get().isInstanceOf(IdempotencyStoreException.class);
      assertThat(scheduler.getPurged()).isZero();

      down.set(false);
      await(() -> scheduler.getPurged() == 5);
      scheduler.close();
      await(() -> executor.getQueue().isEmpty());
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void intervalMustBePositive() {
    JdbcIdempotencyStore store =
        JdbcIdempotencyStore.create(
            TestDatabases.h2(), JdbcIdempotencyStoreConfig.custom().initializeSchema(true).build());
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
    try {
      assertThatThrownBy(() -> IdempotencyPurgeScheduler.start(store, executor, Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("interval must be positive, but was PT0S");
    } finally {
      executor.shutdownNow();
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached within 30 s");
      }
      Thread.sleep(5);
    }
  }
}
