package io.github.reliability4j.jdbc.health;

import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.ReplicaLagView;
import io.github.reliability4j.core.routing.ReplicaStatus;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/** Lag views for the probe tests: replicas as a router would report them. */
final class LagViews {

  private LagViews() {}

  /** A view reading {@code replicas} at every call. */
  static ReplicaLagView of(Supplier<List<ReplicaStatus>> replicas) {
    return new ReplicaLagView() {
      @Override
      public List<ReplicaStatus> replicas() {
        return replicas.get();
      }

      @Override
      public Duration maxLag() {
        return Duration.ofSeconds(30);
      }
    };
  }

  static ReplicaLagView of(ReplicaStatus... replicas) {
    List<ReplicaStatus> list = List.of(replicas);
    return of(() -> list);
  }

  /** An admitted replica whose last sample measured {@code lag} (null: unknown) and bytes. */
  static ReplicaStatus available(String replica, Duration lag, long lagBytes, Instant sampledAt) {
    return new ReplicaStatus(
        replica,
        true,
        "CLOSED",
        new LagSample(replica, sampledAt, null, lagBytes, lag, Duration.ZERO, null, true),
        null,
        0);
  }

  /** An excluded replica whose last probe failed with {@code reason}. */
  static ReplicaStatus unavailable(String replica, Instant sampledAt, String reason) {
    return new ReplicaStatus(
        replica,
        false,
        "CLOSED",
        new LagSample(replica, sampledAt, null, -1, null, null, new SQLException(reason), false),
        null,
        0);
  }
}
