package io.github.reliability4j.jdbc.routing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Why a watchdog and not a thread hand-off: handing getConnection() to another thread and waiting
 * on a future would bound it just as well, but costs a context switch on every routed read. Here
 * the common path only registers the attempt in a concurrent set and removes it again; one daemon
 * thread per JVM checks the deadlines every TICK and, for an attempt past its deadline, runs its
 * timeout action (the replica is excluded at that moment, before the stuck call returns) and
 * interrupts the waiting thread. Pools that wait interruptibly for a connection (HikariCP's
 * ConcurrentBag, Apache DBCP, c3p0) then give up at once; the interrupt flag that the pool
 * restores is cleared again, so the caller's thread is left as it was. A thread blocked in a
 * socket read (a pool validating a connection to a host that vanished without a reset) is not
 * interruptible: its call then ends at the pool's own validation timeout, but the replica is still
 * excluded at the deadline and no other read waits for it.
 */
/** Bounds pool connection attempts by the routing library's own timeouts. Thread-safe. */
final class ConnectWatchdog {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectWatchdog.class);

  /** The watchdog of this JVM. */
  static final ConnectWatchdog SHARED = new ConnectWatchdog(TimeUnit.MILLISECONDS.toNanos(10));

  private static final int ACTIVE = 0;
  private static final int TIMED_OUT = 1;
  private static final int DONE = 2;

  /** One bounded attempt, made on the thread that registered it. */
  final class Attempt {
    private final Thread thread;
    private final long deadline;
    private final Runnable onTimeout;
    private int state = ACTIVE;

    private Attempt(Thread thread, long deadline, Runnable onTimeout) {
      this.thread = thread;
      this.deadline = deadline;
      this.onTimeout = onTimeout;
    }

    private synchronized void expire() {
      if (state != ACTIVE) {
        return;
      }
      state = TIMED_OUT;
      try {
        onTimeout.run();
      } catch (RuntimeException e) {
        LOG.warn("connect-timeout action failed", e);
      }
      thread.interrupt();
    }

    private synchronized boolean markDone() {
      boolean timedOut = state == TIMED_OUT;
      state = DONE;
      return timedOut;
    }

    /**
     * Ends the attempt on its own thread; true if it timed out, in which case the interrupt the
     * watchdog sent is cleared.
     */
    boolean finish() {
      pending.remove(this);
      boolean timedOut = markDone();
      if (timedOut) {
        // The interrupt was sent before DONE, so it is pending or was consumed by the pool (which
        // then usually restored it): clear it either way.
        Thread.interrupted();
      }
      return timedOut;
    }
  }

  private final Set<Attempt> pending = ConcurrentHashMap.newKeySet();
  private final long tickNanos;
  private volatile Thread worker;
  private volatile boolean parked;

  ConnectWatchdog(long tickNanos) {
    this.tickNanos = tickNanos;
  }

  /**
   * {@code source.getConnection()}, given up after {@code timeout}: then {@code onTimeout} runs (on
   * the watchdog thread, at the deadline), a connection that arrives late is closed, and the caller
   * gets an {@link SQLTransientConnectionException} ({@code 08001}) saying so, with the pool's own
   * exception, if any, as the cause.
   */
  Connection connect(DataSource source, String node, Duration timeout, Runnable onTimeout)
      throws SQLException {
    Attempt a = begin(timeout.toNanos(), onTimeout);
    Connection c;
    try {
      c = source.getConnection();
    } catch (SQLException | RuntimeException e) {
      if (a.finish()) {
        throw timedOut(node, timeout, e);
      }
      throw e;
    }
    if (a.finish()) {
      try {
        c.close();
      } catch (SQLException e) {
        LOG.debug("closing a connection that arrived after the connect timeout failed", e);
      }
      throw timedOut(node, timeout, null);
    }
    return c;
  }

  static SQLTransientConnectionException timedOut(String node, Duration timeout, Throwable cause) {
    return new SQLTransientConnectionException(
        "no connection to '"
            + node
            + "' within the routing connect timeout of "
            + timeout.toMillis()
            + "ms (the pool was not waited for any longer; its own connection timeout may be"
            + " longer)",
        "08001",
        cause);
  }

  Attempt begin(long timeoutNanos, Runnable onTimeout) {
    Attempt a = new Attempt(Thread.currentThread(), System.nanoTime() + timeoutNanos, onTimeout);
    pending.add(a);
    Thread w = worker;
    if (w == null) {
      start();
    } else if (parked) {
      LockSupport.unpark(w);
    }
    return a;
  }

  private synchronized void start() {
    if (worker != null) {
      return;
    }
    Thread t = new Thread(this::run, "reliability4j-connect-watchdog");
    t.setDaemon(true);
    worker = t;
    t.start();
  }

  private void run() {
    int idleTicks = 0;
    while (true) {
      if (pending.isEmpty()) {
        if (++idleTicks > 200) {
          // Idle for about 2 s: sleep until the next attempt registers.
          parked = true;
          if (pending.isEmpty()) {
            LockSupport.park(this);
          }
          parked = false;
          idleTicks = 0;
          continue;
        }
      } else {
        idleTicks = 0;
        long now = System.nanoTime();
        for (Attempt a : pending) {
          if (now - a.deadline >= 0) {
            a.expire();
          }
        }
      }
      LockSupport.parkNanos(this, tickNanos);
    }
  }
}
