package io.github.reliability4j.core.routing;

import java.time.Duration;
import java.time.Instant;

/**
 * One lag measurement of a replica.
 *
 * @param replica replica name
 * @param sampledAt when the replica's position was read (injected clock)
 * @param replayPosition the replica's replay position, or null if the probe failed
 * @param lagBytes replication stream bytes the replica is behind the primary, or -1 if unknown
 * @param lag how old the replica's data is, with the sample interval as resolution (an idle primary
 *     does not inflate it: it is measured against positions, not commit timestamps), or null if
 *     unknown. While the primary is unreachable it is measured against the primary's last known
 *     state and does not grow with the outage (see {@code ReplicaRouter#sampleReplica}): zero for a
 *     replica that replayed the newest primary position seen
 * @param probeLatency round trip of the probe, or null if the probe failed
 * @param error the probe failure, or null
 * @param admitted whether the replica receives reads after this sample
 */
public record LagSample(
    String replica,
    Instant sampledAt,
    ReplicationPosition replayPosition,
    long lagBytes,
    Duration lag,
    Duration probeLatency,
    Throwable error,
    boolean admitted) {

  /** Whether the lag is known (the probe succeeded and the position could be placed in time). */
  public boolean isKnown() {
    return error == null && lag != null;
  }
}
