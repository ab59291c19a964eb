package io.github.reliability4j.spring.health;

import io.github.reliability4j.core.health.HealthChecker;
import java.time.Duration;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the {@link HealthChecker} with the context, signals startup completion when the
 * application is ready, and drains it first on shutdown: this lifecycle's phase is above the web
 * server's graceful-shutdown phase, so readiness reports fail (503) before the server stops
 * accepting requests, and stays so for {@code reliability.health.drain-delay}.
 */
public final class HealthCheckerLifecycle
    implements SmartLifecycle, ApplicationListener<ApplicationReadyEvent> {

  private final HealthChecker checker;
  private final Duration drainDelay;
  private volatile boolean running;

  HealthCheckerLifecycle(HealthChecker checker, Duration drainDelay) {
    this.checker = checker;
    this.drainDelay = drainDelay;
  }

  @Override
  public void start() {
    checker.start();
    running = true;
  }

  @Override
  public void onApplicationEvent(ApplicationReadyEvent event) {
    checker.markStartupComplete();
  }

  @Override
  public void stop() {
    checker.drain();
    running = false;
    if (!drainDelay.isZero()) {
      try {
        Thread.sleep(drainDelay.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE;
  }
}
