package io.github.reliability4j.spring.messaging;

import java.util.concurrent.CountDownLatch;

/**
 * Where a contract fixture makes a probe's component block: open, callers pass at once; closed,
 * they wait until it opens again or their thread is interrupted. Thread-safe.
 */
final class Gate {
  private volatile boolean closed;
  private volatile boolean blocked;
  private volatile CountDownLatch release = new CountDownLatch(1);

  /** Blocks the next callers. */
  void close() {
    release = new CountDownLatch(1);
    closed = true;
  }

  /** Lets every caller through, the waiting ones too. */
  void open() {
    closed = false;
    release.countDown();
  }

  /** Whether a caller is waiting at the gate now. */
  boolean blocked() {
    return blocked;
  }

  /**
   * Returns at once while open; while closed, waits until opened.
   *
   * @throws InterruptedException if the caller's thread is interrupted while waiting
   */
  void pass() throws InterruptedException {
    if (!closed) {
      return;
    }
    blocked = true;
    try {
      release.await();
    } finally {
      blocked = false;
    }
  }
}
