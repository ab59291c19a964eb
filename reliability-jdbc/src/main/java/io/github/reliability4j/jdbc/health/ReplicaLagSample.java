package io.github.reliability4j.jdbc.health;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One replica's latest lag measurement, as a {@link ReplicaLagSource} last saw it.
 *
 * @param replica the replica's name
 * @param available whether the replica answered its last check (and, for a routing DataSource, is
 *     admitted for reads)
 * @param lag time lag, or null if not measured
 * @param lagBytes replication distance in bytes (PostgreSQL LSN distance), or -1 if not measured
 * @param sampledAt when the sample was taken, or null if never
 * @param reason why the replica is unavailable or unmeasured (e.g. the last error), or null
 */
public record ReplicaLagSample(
    String replica,
    boolean available,
    Duration lag,
    long lagBytes,
    Instant sampledAt,
    String reason) {

  public ReplicaLagSample {
    Objects.requireNonNull(replica, "replica");
  }

  /** A sample for an available replica. */
  public static ReplicaLagSample available(
      String replica, Duration lag, long lagBytes, Instant sampledAt) {
    return new ReplicaLagSample(replica, true, lag, lagBytes, sampledAt, null);
  }

  /** A sample for an unavailable replica. */
  public static ReplicaLagSample unavailable(String replica, Instant sampledAt, String reason) {
    return new ReplicaLagSample(replica, false, null, -1, sampledAt, reason);
  }
}
