package io.github.reliability4j.test.health;

import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.probes.ThreadPoolSaturationProbe;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/** {@link ThreadPoolSaturationProbe} over a real pool whose bounded queue is filled to fail. */
class ThreadPoolSaturationProbeContractTest extends AbstractProbeContract {

  private final ThreadPoolExecutor pool =
      new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1));
  private volatile CountDownLatch busy = new CountDownLatch(0);

  @Override
  protected Probe probe() {
    return ThreadPoolSaturationProbe.of(pool);
  }

  @Override
  protected void makeHealthy() {
    busy.countDown();
  }

  @Override
  protected String makeFailing() throws InterruptedException {
    CountDownLatch latch = new CountDownLatch(1);
    busy = latch;
    CountDownLatch running = new CountDownLatch(1);
    pool.execute(
        () -> {
          running.countDown();
          try {
            latch.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    running.await();
    pool.execute(() -> {});
    return "queue is full (1 tasks)";
  }

  @AfterEach
  void stopPool() {
    busy.countDown();
    pool.shutdownNow();
  }
}
