package io.github.reliability4j.jdbc.health;

import java.time.Duration;
import java.util.function.Supplier;

/** Polls a condition with a deadline; never a fixed sleep. */
final class Poll {
  private Poll() {}

  static <T> T until(Duration deadline, Supplier<T> value, java.util.function.Predicate<T> done) {
    long end = System.nanoTime() + deadline.toNanos();
    T last = value.get();
    while (!done.test(last)) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not reached within " + deadline + "; last: " + last);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      last = value.get();
    }
    return last;
  }
}
