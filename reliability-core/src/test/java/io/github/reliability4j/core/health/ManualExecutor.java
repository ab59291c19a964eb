package io.github.reliability4j.core.health;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executor;

/** Queues tasks until the test runs them, so a probe can be "still running" at its deadline. */
final class ManualExecutor implements Executor {
  private final Deque<Runnable> tasks = new ArrayDeque<>();

  @Override
  public synchronized void execute(Runnable command) {
    tasks.add(command);
  }

  synchronized int queued() {
    return tasks.size();
  }

  /** Runs every queued task on the calling thread. */
  void runAll() {
    while (true) {
      Runnable r;
      synchronized (this) {
        r = tasks.poll();
      }
      if (r == null) {
        return;
      }
      r.run();
    }
  }
}
