package io.github.reliability4j.test.health;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A component a probe fixture can make healthy, failing or blocking: {@link #call(Duration)} is
 * what the probe's blocking call does. Blocking waits until the thread is interrupted or the
 * component is made healthy again; the timeout the probe passed is kept.
 */
final class BlockingComponent {

  enum Mode {
    HEALTHY,
    FAILING,
    HANGING
  }

  static final String FAILURE = "component refused the call (contract failure)";

  private volatile Mode mode = Mode.HEALTHY;
  private volatile CountDownLatch release = new CountDownLatch(1);
  private volatile boolean blocked;
  private volatile Duration lastTimeout;

  void set(Mode mode) {
    if (mode == Mode.HANGING) {
      release = new CountDownLatch(1);
    } else {
      release.countDown();
    }
    this.mode = mode;
  }

  boolean blocked() {
    return blocked;
  }

  Duration lastTimeout() {
    return lastTimeout;
  }

  /** One call: returns when healthy, throws when failing, blocks when hanging. */
  void call(Duration timeout) throws Exception {
    lastTimeout = timeout;
    switch (mode) {
      case FAILING -> throw new java.io.IOException(FAILURE);
      case HANGING -> {
        blocked = true;
        try {
          release.await();
        } finally {
          blocked = false;
        }
      }
      default -> {}
    }
  }
}
