package io.github.reliability4j.jdbc.health;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * Checks that a database answers, over a dedicated connection that never comes from the
 * application's pool.
 *
 * <h2>Design</h2>
 *
 * A probe that borrows from the application's pool lies in both directions: when the pool is
 * exhausted it waits the full pool timeout and reports the database down (and adds one more waiter
 * to the exhausted pool), and when the pool is healthy it measures the pool rather than the
 * database. This probe therefore owns one physical connection, opened through a {@link
 * ConnectionFactory} (a driver or a non-pooled DataSource), kept open between evaluations so a
 * probe does not cost a login every interval, and reopened after any failure. Pool saturation is
 * reported separately by {@link HikariPoolProbe}, from the pool's own statistics.
 *
 * <h2>Timeouts</h2>
 *
 * Each evaluation bounds its I/O by the evaluation's deadline: {@link
 * Connection#setNetworkTimeout(Executor, int)} makes a blocked socket read fail, and the validation
 * query gets {@link Statement#setQueryTimeout(int)} (whole seconds, rounded up). The connect itself
 * is bounded by the driver's connect timeout (see {@link ConnectionFactory}). The evaluator's own
 * deadline reports {@code TIMED_OUT} on time regardless; these timeouts make the worker thread come
 * back soon after.
 *
 * <p>Result: {@code PASS} with the round-trip time in ms (measurement {@code responseTime}), {@code
 * WARN} at or above {@code warnAbove}; an exception (connect failure, query failure) propagates and
 * the evaluator reports {@code FAIL} with its message. Details: reconnected (true when this
 * evaluation had to open the connection).
 *
 * <p>Thread-safe; evaluations are serialized. {@link #close()} closes the held connection.
 */
public final class JdbcConnectivityProbe implements Probe, AutoCloseable {
  private static final Executor DIRECT = Runnable::run;

  private final ConnectionFactory factory;
  private final String validationQuery;
  private final Duration warnAbove;
  private final LongSupplier nanoTime;
  private Connection connection;

  private JdbcConnectivityProbe(Builder b) {
    this.factory = b.factory;
    this.validationQuery = b.validationQuery;
    this.warnAbove = b.warnAbove;
    this.nanoTime = b.nanoTime;
  }

  public static JdbcConnectivityProbe of(ConnectionFactory factory) {
    return builder(factory).build();
  }

  public static Builder builder(ConnectionFactory factory) {
    return new Builder(factory);
  }

  @Override
  public synchronized ProbeResult check(ProbeContext context) throws SQLException {
    long start = nanoTime.getAsLong();
    boolean reconnected = false;
    try {
      if (connection == null || connection.isClosed()) {
        connection = factory.connect();
        reconnected = true;
      }
      int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, context.deadline().toMillis());
      try {
        connection.setNetworkTimeout(DIRECT, timeoutMillis);
      } catch (SQLException | UnsupportedOperationException e) {
        // Optional in JDBC; the query timeout and the evaluator's deadline still apply.
      }
      if (validationQuery == null) {
        if (!connection.isValid(context.deadlineSeconds())) {
          throw new SQLException("connection is not valid (isValid returned false)", "08006");
        }
      } else {
        try (Statement st = connection.createStatement()) {
          st.setQueryTimeout(context.deadlineSeconds());
          st.execute(validationQuery);
        }
      }
    } catch (SQLException | RuntimeException e) {
      closeQuietly();
      throw e;
    }
    Duration took = Duration.ofNanos(nanoTime.getAsLong() - start);
    boolean slow = warnAbove != null && took.compareTo(warnAbove) >= 0;
    return ProbeResult.builder(slow ? HealthStatus.WARN : HealthStatus.PASS)
        .observed(took.toNanos() / 10_000 / 100.0, "ms")
        .output((slow ? "slow: " : "reachable: ") + "round trip took " + took)
        .detail("reconnected", reconnected)
        .build();
  }

  /** Closes the held connection; the next evaluation reopens it. */
  @Override
  public synchronized void close() {
    closeQuietly();
  }

  private void closeQuietly() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException | RuntimeException ignored) {
        // A broken connection may refuse to close; it is abandoned either way.
      }
    }
  }

  /** Builds a {@link JdbcConnectivityProbe}. Not thread-safe. */
  public static final class Builder {
    private final ConnectionFactory factory;
    private String validationQuery;
    private Duration warnAbove;
    private LongSupplier nanoTime = System::nanoTime;

    private Builder(ConnectionFactory factory) {
      this.factory = Objects.requireNonNull(factory, "factory");
    }

    /**
     * Sets a validation query (e.g. {@code SELECT 1}); default: {@link Connection#isValid(int)},
     * which drivers implement as their cheapest round trip.
     */
    public Builder validationQuery(String validationQuery) {
      this.validationQuery = Objects.requireNonNull(validationQuery, "validationQuery");
      return this;
    }

    /**
     * Reports {@code WARN} when the round trip takes at least this long.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder warnAbove(Duration warnAbove) {
      Objects.requireNonNull(warnAbove, "warnAbove");
      if (warnAbove.isZero() || warnAbove.isNegative()) {
        throw new IllegalArgumentException("warnAbove must be positive, but was " + warnAbove);
      }
      this.warnAbove = warnAbove;
      return this;
    }

    /** Sets the ticker for the round-trip time (default {@link System#nanoTime()}). */
    public Builder ticker(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
      return this;
    }

    public JdbcConnectivityProbe build() {
      return new JdbcConnectivityProbe(this);
    }
  }
}
