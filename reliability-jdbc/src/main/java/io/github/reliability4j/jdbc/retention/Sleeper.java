package io.github.reliability4j.jdbc.retention;

import java.time.Duration;

/**
 * How a {@link RetentionRunner} waits between batches and while throttled. The default is {@link
 * #SYSTEM} ({@link Thread#sleep}); tests pass one that advances a fake clock instead.
 */
@FunctionalInterface
public interface Sleeper {

  /** Sleeps with {@link Thread#sleep(long)}. */
  Sleeper SYSTEM = d -> Thread.sleep(Math.max(0, d.toMillis()));

  /**
   * Waits for {@code duration}.
   *
   * @throws InterruptedException if the waiting thread is interrupted; the run then stops
   */
  void sleep(Duration duration) throws InterruptedException;
}
