package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The connect watchdog's guarantees (deadline, action at the deadline, interrupt cleared, late
 * connection closed) and its per-thread attempt slots (reused, nested attempts, dropped when the
 * thread ends). Waits poll with deadlines; no assertion depends on how long anything took.
 */
class ConnectWatchdogTest {

  private static final Duration TIMEOUT = Duration.ofMillis(50);

  private final ConnectWatchdog watchdog = new ConnectWatchdog(TimeUnit.MILLISECONDS.toNanos(1));

  /** A connection that records whether it was closed. */
  private static Connection connection(AtomicBoolean closed) {
    return (Connection)
        Proxy.newProxyInstance(
            ConnectWatchdogTest.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, m, args) -> {
              if (m.getName().equals("close")) {
                closed.set(true);
              }
              return null;
            });
  }

  private static TestDataSource returning(Connection c) {
    return new TestDataSource() {
      @Override
      public Connection getConnection() {
        return c;
      }
    };
  }

  @Test
  void aStuckPoolIsGivenUpAtTheDeadlineWithTheActionRunFirstAndTheInterruptCleared() {
    List<Object> subjects = new CopyOnWriteArrayList<>();
    List<SQLTransientConnectionException> errors = new CopyOnWriteArrayList<>();
    AtomicBoolean actionRanBeforeInterrupt = new AtomicBoolean();
    TestDataSource stuck =
        new TestDataSource() {
          @Override
          public Connection getConnection() throws SQLException {
            try {
              new CountDownLatch(1).await(); // until interrupted, like a pool waiting for a slot
              throw new AssertionError("not interrupted");
            } catch (InterruptedException e) {
              actionRanBeforeInterrupt.set(!subjects.isEmpty());
              Thread.currentThread().interrupt(); // as HikariCP restores it
              throw new SQLException("interrupted while waiting for a connection", e);
            }
          }
        };
    String subject = "replica-1 state";

    assertThatThrownBy(
            () ->
                watchdog.connect(
                    stuck, "replica-1", TIMEOUT, subject, (s, e) -> record(subjects, errors, s, e)))
        .isInstanceOf(SQLTransientConnectionException.class)
        .hasMessageContaining("'replica-1'")
        .hasMessageContaining("50ms")
        .hasCauseInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    assertThat(subjects).containsExactly(subject);
    assertThat(errors).hasSize(1);
    assertThat(errors.get(0).getMessage()).contains("'replica-1'");
    assertThat(actionRanBeforeInterrupt).isTrue();
  }

  private static void record(
      List<Object> subjects,
      List<SQLTransientConnectionException> errors,
      Object s,
      SQLTransientConnectionException e) {
    subjects.add(s);
    errors.add(e);
  }

  @Test
  void aConnectionArrivingAfterTheDeadlineIsClosedAndTheCallerGetsTheTimeout() {
    AtomicBoolean closed = new AtomicBoolean();
    CountDownLatch actionRan = new CountDownLatch(1);
    TestDataSource late =
        new TestDataSource() {
          @Override
          public Connection getConnection() {
            // Not interruptible: wait for the deadline's action, then hand the connection over.
            boolean ran = false;
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!ran && System.nanoTime() < giveUp) {
              try {
                ran = actionRan.await(10, TimeUnit.MILLISECONDS);
              } catch (InterruptedException e) {
                // swallowed, like a socket read that does not notice the interrupt
              }
            }
            return connection(closed);
          }
        };

    assertThatThrownBy(
            () -> watchdog.connect(late, "replica-2", TIMEOUT, actionRan, (l, e) -> l.countDown()))
        .isInstanceOf(SQLTransientConnectionException.class)
        .hasMessageContaining("'replica-2'");
    assertThat(actionRan.getCount()).isZero();
    assertThat(closed).isTrue();
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @Test
  void attemptsOnOneThreadReuseOneSlotAndLaterAttemptsAreNotTimedOutByEarlierDeadlines()
      throws Exception {
    AtomicBoolean closed = new AtomicBoolean();
    Connection c = connection(closed);
    AtomicInteger timeouts = new AtomicInteger();
    for (int i = 0; i < 1000; i++) {
      assertThat(
              watchdog.connect(
                  returning(c), "replica", TIMEOUT, timeouts, (t, e) -> t.incrementAndGet()))
          .isSameAs(c);
    }
    assertThat(watchdog.slotCount()).isEqualTo(1);
    // Well past every earlier deadline: a scan expires nothing, and this thread is not interrupted.
    assertThat(watchdog.scan(System.nanoTime() + TimeUnit.SECONDS.toNanos(60))).isFalse();
    assertThat(timeouts).hasValue(0);
    assertThat(closed).isFalse();
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @Test
  void aNestedAttemptOnTheSameThreadGetsItsOwnDeadlineAndLeavesNoSlotBehind() throws Exception {
    AtomicBoolean closed = new AtomicBoolean();
    Connection c = connection(closed);
    TestDataSource inner = returning(c);
    TestDataSource outer =
        new TestDataSource() {
          @Override
          public Connection getConnection() throws SQLException {
            assertThat(watchdog.slotCount()).isEqualTo(1);
            Connection got = watchdog.connect(inner, "inner", TIMEOUT);
            assertThat(watchdog.slotCount()).isEqualTo(1);
            return got;
          }
        };
    // Registers this thread's slot first, so the nested attempt finds it armed.
    watchdog.connect(returning(c), "warm", TIMEOUT);

    assertThat(watchdog.connect(outer, "outer", TIMEOUT)).isSameAs(c);
    assertThat(watchdog.slotCount()).isEqualTo(1);
    assertThat(closed).isFalse();
  }

  @Test
  void theSlotOfAThreadThatEndedIsDroppedAtTheNextScan() throws Exception {
    Connection c = connection(new AtomicBoolean());
    watchdog.connect(returning(c), "replica", TIMEOUT);
    Thread other =
        new Thread(
            () -> {
              try {
                watchdog.connect(returning(c), "replica", TIMEOUT);
              } catch (SQLException e) {
                throw new IllegalStateException(e);
              }
            });
    other.start();
    other.join(TimeUnit.SECONDS.toMillis(30));
    assertThat(other.isAlive()).isFalse();

    watchdog.scan(System.nanoTime());

    assertThat(watchdog.slotCount()).isEqualTo(1);
  }

  @Test
  void anErrorFromThePoolDisarmsTheSlot() throws Exception {
    TestDataSource failing =
        new TestDataSource() {
          @Override
          public Connection getConnection() {
            throw new StackOverflowError("test");
          }
        };
    AtomicInteger timeouts = new AtomicInteger();
    assertThatThrownBy(
            () ->
                watchdog.connect(
                    failing, "replica", TIMEOUT, timeouts, (t, e) -> t.incrementAndGet()))
        .isInstanceOf(StackOverflowError.class);

    assertThat(watchdog.scan(System.nanoTime() + TimeUnit.SECONDS.toNanos(60))).isFalse();
    assertThat(timeouts).hasValue(0);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }
}
