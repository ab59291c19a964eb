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
 * the common path only arms its thread's attempt slot and disarms it again; one daemon thread per
 * JVM checks the deadlines every TICK and, for an attempt past its deadline, runs its timeout
 * action (the replica is excluded at that moment, before the stuck call returns) and interrupts
 * the waiting thread. Pools that wait interruptibly for a connection (HikariCP's ConcurrentBag,
 * Apache DBCP, c3p0) then give up at once; the interrupt flag that the pool restores is cleared
 * again, so the caller's thread is left as it was. A thread blocked in a socket read (a pool
 * validating a connection to a host that vanished without a reset) is not interruptible: its call
 * then ends at the pool's own validation timeout, but the replica is still excluded at the
 * deadline and no other read waits for it.
 *
 * Why slots (issue 16, routing overhead): a routed replica read used to allocate an Attempt, a
 * ConcurrentHashMap node to register it and a capturing Runnable for the timeout action, about
 * 100 bytes per read. Now each thread has one Attempt, registered in `slots` the first time the
 * thread connects through the watchdog and reused by every later attempt on that thread; the
 * timeout action is a non-capturing TimeoutAction plus a subject object, so nothing is allocated
 * per read. Arming, expiring and finishing a slot synchronize on it, and expire() re-checks the
 * state and the deadline under that lock, so the watchdog can never time out a later attempt with
 * an earlier attempt's deadline. The watchdog drops the slots of threads that have terminated when
 * it scans. A nested attempt on the same thread (a routed DataSource used as another's pool) finds
 * its slot armed and falls back to a one-off Attempt, as before.
 */
/** Bounds pool connection attempts by the routing library's own timeouts. Thread-safe. */
final class ConnectWatchdog {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectWatchdog.class);

  /** The watchdog of this JVM. */
  static final ConnectWatchdog SHARED = new ConnectWatchdog(TimeUnit.MILLISECONDS.toNanos(10));

  private static final int IDLE = 0;
  private static final int ACTIVE = 1;
  private static final int TIMED_OUT = 2;

  /**
   * What happens at the deadline of an attempt, on the watchdog thread: {@code subject} is the
   * object passed to {@link #connect(DataSource, String, Duration, Object, TimeoutAction)} and
   * {@code error} says which node timed out after how long.
   */
  @FunctionalInterface
  interface TimeoutAction<T> {
    void timedOut(T subject, SQLTransientConnectionException error);
  }

  private static final TimeoutAction<Object> NOTHING = (subject, error) -> {};

  /**
   * The attempt slot of one thread (or a one-off attempt when the slot is armed already). Only its
   * own thread arms and finishes it.
   */
  final class Attempt {
    private final Thread thread;
    private final boolean oneOff;
    private volatile int state = IDLE;
    private long deadline;
    private String node;
    private Duration timeout;
    private Object subject;
    private TimeoutAction<Object> onTimeout;

    private Attempt(Thread thread, boolean oneOff) {
      this.thread = thread;
      this.oneOff = oneOff;
    }

    @SuppressWarnings("unchecked")
    private synchronized void arm(
        long deadline, String node, Duration timeout, Object subject, TimeoutAction<?> onTimeout) {
      this.deadline = deadline;
      this.node = node;
      this.timeout = timeout;
      this.subject = subject;
      this.onTimeout = (TimeoutAction<Object>) onTimeout;
      state = ACTIVE;
    }

    private synchronized void expireIfDue(long now) {
      if (state != ACTIVE || now - deadline < 0) {
        return;
      }
      state = TIMED_OUT;
      try {
        onTimeout.timedOut(subject, timedOut(node, timeout, null));
      } catch (RuntimeException e) {
        LOG.warn("connect-timeout action failed", e);
      }
      thread.interrupt();
    }

    private synchronized boolean disarm() {
      boolean timedOut = state == TIMED_OUT;
      state = IDLE;
      node = null;
      timeout = null;
      subject = null;
      onTimeout = null;
      return timedOut;
    }

    /**
     * Ends the attempt on its own thread; true if it timed out, in which case the interrupt the
     * watchdog sent is cleared.
     */
    boolean finish() {
      boolean timedOut = disarm();
      if (oneOff) {
        slots.remove(this);
      }
      if (timedOut) {
        // The interrupt was sent before the attempt was disarmed, so it is pending or was consumed
        // by the pool (which then usually restored it): clear it either way.
        Thread.interrupted();
      }
      return timedOut;
    }
  }

  private final Set<Attempt> slots = ConcurrentHashMap.newKeySet();
  private final ThreadLocal<Attempt> slot = new ThreadLocal<>();
  private final long tickNanos;
  private volatile Thread worker;
  private volatile boolean parked;

  ConnectWatchdog(long tickNanos) {
    this.tickNanos = tickNanos;
  }

  /** {@link #connect(DataSource, String, Duration, Object, TimeoutAction)} with no action. */
  Connection connect(DataSource source, String node, Duration timeout) throws SQLException {
    return connect(source, node, timeout, null, NOTHING);
  }

  /**
   * {@code source.getConnection()}, given up after {@code timeout}: then {@code
   * onTimeout.timedOut(subject, ...)} runs (on the watchdog thread, at the deadline), a connection
   * that arrives late is closed, and the caller gets an {@link SQLTransientConnectionException}
   * ({@code 08001}) saying so, with the pool's own exception, if any, as the cause.
   */
  <T> Connection connect(
      DataSource source,
      String node,
      Duration timeout,
      T subject,
      TimeoutAction<? super T> onTimeout)
      throws SQLException {
    Attempt a = begin(node, timeout, subject, onTimeout);
    Connection c;
    try {
      c = source.getConnection();
    } catch (SQLException | RuntimeException e) {
      if (a.finish()) {
        throw timedOut(node, timeout, e);
      }
      throw e;
    } catch (Error e) {
      // Disarm the slot even then, or its deadline would interrupt this thread later.
      a.finish();
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

  Attempt begin(String node, Duration timeout, Object subject, TimeoutAction<?> onTimeout) {
    Attempt a = slot.get();
    if (a == null) {
      a = new Attempt(Thread.currentThread(), false);
      slot.set(a);
      slots.add(a);
    } else if (a.state != IDLE) {
      a = new Attempt(Thread.currentThread(), true);
      slots.add(a);
    }
    a.arm(System.nanoTime() + timeout.toNanos(), node, timeout, subject, onTimeout);
    Thread w = worker;
    if (w == null) {
      start();
    } else if (parked) {
      LockSupport.unpark(w);
    }
    return a;
  }

  /** The registered slots (one per thread that connected and is alive, plus one-off attempts). */
  int slotCount() {
    return slots.size();
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

  /** Expires the attempts past their deadline; true if any attempt is active. */
  boolean scan(long now) {
    boolean active = false;
    for (Attempt a : slots) {
      if (a.state == ACTIVE) {
        active = true;
        a.expireIfDue(now);
      } else if (!a.thread.isAlive()) {
        slots.remove(a);
      }
    }
    return active;
  }

  private boolean anyActive() {
    for (Attempt a : slots) {
      if (a.state == ACTIVE) {
        return true;
      }
    }
    return false;
  }

  private void run() {
    int idleTicks = 0;
    while (true) {
      if (!scan(System.nanoTime())) {
        if (++idleTicks > 200) {
          // Idle for about 2 s: sleep until the next attempt registers. begin() arms its slot
          // (volatile state) before it reads `parked`, and this thread sets `parked` before it
          // reads the states again, so one of the two always sees the other.
          parked = true;
          if (!anyActive()) {
            LockSupport.park(this);
          }
          parked = false;
          idleTicks = 0;
          continue;
        }
      } else {
        idleTicks = 0;
      }
      LockSupport.parkNanos(this, tickNanos);
    }
  }
}
