package io.github.reliability4j.jdbc.idempotency;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * The time budget of one call of a bounded {@link JdbcIdempotencyStore} view ({@link
 * JdbcIdempotencyStore#withCallTimeout}): the call must return or throw by {@code start + timeout}.
 *
 * <p>How the budget is enforced, step by step:
 *
 * <ol>
 *   <li>Borrowing: the pool's own bounded wait ({@link PoolWait}), checked to be shorter than the
 *       timeout before every borrow.
 *   <li>After the borrow, and again before every statement the dialect prepares ({@link
 *       Dialect#prepare}): the connection's network timeout ({@link Connection#setNetworkTimeout})
 *       is set to the time left, so no read from the database blocks past the deadline (a server
 *       that stopped answering, a lock held by another transaction); the driver then closes that
 *       connection and the pool replaces it. The statement's query timeout is capped to the whole
 *       seconds left minus one millisecond, so that with a second or more left a waiting statement
 *       is cancelled cleanly by the server first and its connection stays usable. No time left: the
 *       statement is not sent.
 * </ol>
 *
 * The pool resets the network timeout when the connection is returned (HikariCP does). A budget
 * applies only to statements on the connection it borrowed, on the borrowing thread: statements on
 * a caller's own connection (transactional completion) are never touched.
 *
 * <p>Not thread-safe; one instance per call.
 */
final class CallDeadline {

  private static final ThreadLocal<CallDeadline> CURRENT = new ThreadLocal<>();

  /** setNetworkTimeout's executor; the drivers use it, if at all, only to abort the connection. */
  private static final Executor DIRECT = Runnable::run;

  final Duration timeout;
  private final long deadlineNanos;
  private Connection connection;
  private CallDeadline previous;

  private CallDeadline(Duration timeout, long timeoutNanos) {
    this.timeout = timeout;
    this.deadlineNanos = System.nanoTime() + timeoutNanos;
  }

  /** Starts the budget now. */
  static CallDeadline start(Duration timeout, long timeoutNanos) {
    return new CallDeadline(timeout, timeoutNanos);
  }

  /**
   * Borrows a connection and arms it; from here until {@link #end()} the dialect's statements on it
   * are armed too.
   *
   * @throws SQLTimeoutException if the borrow used up the budget
   */
  Connection borrow(DataSource dataSource) throws SQLException {
    Connection c = dataSource.getConnection();
    try {
      arm(c, 0);
    } catch (SQLException | RuntimeException e) {
      try {
        c.close();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    connection = c;
    previous = CURRENT.get();
    CURRENT.set(this);
    return c;
  }

  /** Ends the budget (the connection is closed by then). */
  void end() {
    if (connection == null) {
      return;
    }
    connection = null;
    if (previous == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(previous);
    }
  }

  /** The budget of the call running on this thread on {@code c}, or null. */
  static CallDeadline on(Connection c) {
    CallDeadline d = CURRENT.get();
    return d != null && d.connection == c ? d : null;
  }

  /**
   * Sets {@code c}'s network timeout to the time left and returns the query timeout to use: {@code
   * queryTimeoutSeconds} (0 = none) capped to the whole seconds left minus 1 ms (0 when less than a
   * second is left: the network timeout alone then bounds the statement).
   *
   * @throws SQLTimeoutException if no time is left
   */
  int arm(Connection c, int queryTimeoutSeconds) throws SQLException {
    long leftNanos = deadlineNanos - System.nanoTime();
    if (leftNanos <= 0) {
      throw new SQLTimeoutException(
          "the idempotency store's call timeout of " + timeout + " elapsed; statement not sent");
    }
    long leftMillis = (leftNanos + 999_999) / 1_000_000;
    c.setNetworkTimeout(DIRECT, (int) Math.min(Integer.MAX_VALUE, leftMillis));
    long capSeconds = (leftMillis - 1) / 1000;
    if (capSeconds < 1) {
      return 0;
    }
    return queryTimeoutSeconds == 0
        ? (int) Math.min(Integer.MAX_VALUE, capSeconds)
        : (int) Math.min(queryTimeoutSeconds, capSeconds);
  }

  /** Whether the budget is used up. */
  boolean expired() {
    return deadlineNanos - System.nanoTime() <= 0;
  }

  /**
   * Whether {@code e} is a bound cutting a call off: a query timeout or cancellation, a socket read
   * timeout (the network timeout), a pool that had no connection in time.
   */
  static boolean isTimeout(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTimeoutException
          || t instanceof SQLTransientConnectionException
          || t instanceof java.net.SocketTimeoutException) {
        return true;
      }
      if (t instanceof SQLException s) {
        String state = s.getSQLState();
        // 57014 query_canceled (PostgreSQL); 70100 / 1969 statement timeout (MariaDB), 3024
        // (MySQL max_execution_time).
        if ("57014".equals(state)
            || "70100".equals(state)
            || s.getErrorCode() == 1969
            || s.getErrorCode() == 3024) {
          return true;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
