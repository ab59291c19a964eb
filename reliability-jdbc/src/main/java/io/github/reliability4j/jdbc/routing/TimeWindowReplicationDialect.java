package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.ReplicationPosition;
import io.github.reliability4j.core.routing.TimePosition;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The weaker mode for databases without a usable replication position: a write's token is its
 * commit time, and every reachable replica is <em>assumed</em> to have applied everything committed
 * more than {@code window} ago (Rails-style stickiness). If a replica lags more than the window,
 * read-your-writes is violated silently; the data source logs a warning at start saying so. Node
 * roles cannot be checked.
 *
 * <p>Thread-safe.
 */
public final class TimeWindowReplicationDialect implements ReplicationDialect {

  private final Duration window;
  private final Clock clock;
  private final String clusterId;

  private TimeWindowReplicationDialect(Duration window, Clock clock, String clusterId) {
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("window must be positive, but was " + window);
    }
    this.window = window;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
  }

  /**
   * @param window how long after a write its session keeps reading from the primary
   * @throws IllegalArgumentException if window is not positive
   */
  public static TimeWindowReplicationDialect of(Duration window) {
    return new TimeWindowReplicationDialect(window, Clock.systemUTC(), "time-window");
  }

  /** As {@link #of(Duration)} with an injected clock and a cluster id for exported tokens. */
  public static TimeWindowReplicationDialect of(Duration window, Clock clock, String clusterId) {
    return new TimeWindowReplicationDialect(window, clock, clusterId);
  }

  public Duration window() {
    return window;
  }

  @Override
  public String name() {
    return "time-window";
  }

  @Override
  public String clusterId(Connection connection) {
    return clusterId;
  }

  @Override
  public Optional<Boolean> isInRecovery(Connection connection) {
    return Optional.empty();
  }

  @Override
  public ReplicationPosition currentPosition(Connection primary) {
    return TimePosition.of(clock.instant());
  }

  @Override
  public ReplicationPosition replayPosition(Connection replica) throws SQLException {
    if (!replica.isValid(5)) {
      throw new SQLTransientConnectionException("replica connection is not valid", "08006");
    }
    return TimePosition.of(clock.instant().minus(window));
  }

  @Override
  public ReplicationPosition parsePosition(String encoded) {
    return TimePosition.parse(encoded);
  }

  @Override
  public boolean isExact() {
    return false;
  }

  @Override
  public String toString() {
    return "TimeWindowReplicationDialect[window=" + window + "]";
  }
}
