package io.github.reliability4j.core.routing.internal;

import io.github.reliability4j.core.routing.ReplicationPosition;
import java.time.Instant;

/**
 * Recent primary positions with the interval during which each was observed. A replica whose replay
 * position covers an entry has every commit made up to that entry's {@code lastSeen}; this is how
 * lag is measured in time without commit timestamps, so an idle primary never looks like lag.
 * Thread-safe (synchronized; tiny critical sections).
 */
final class PrimaryHistory {

  private record Entry(ReplicationPosition position, Instant lastSeen) {}

  private final Entry[] ring;
  private int head; // index of the newest entry
  private int size;

  PrimaryHistory(int capacity) {
    ring = new Entry[capacity];
  }

  /** Records that the primary was at {@code position} at {@code time} (read no later than that). */
  synchronized void add(ReplicationPosition position, Instant time) {
    if (size > 0) {
      Entry newest = ring[head];
      if (newest.position.equals(position)) {
        if (time.isAfter(newest.lastSeen)) {
          ring[head] = new Entry(position, time);
        }
        return;
      }
    }
    head = (head + 1) % ring.length;
    ring[head] = new Entry(position, time);
    size = Math.min(size + 1, ring.length);
  }

  synchronized ReplicationPosition latest() {
    return size == 0 ? null : ring[head].position;
  }

  /** When the primary was last seen at its newest recorded position, or null if none. */
  synchronized Instant latestSeen() {
    return size == 0 ? null : ring[head].lastSeen;
  }

  /** The newest time as of which a node at {@code replay} has all data, or null if unknown. */
  synchronized Instant coveredAsOf(ReplicationPosition replay) {
    for (int i = 0; i < size; i++) {
      Entry e = ring[Math.floorMod(head - i, ring.length)];
      if (replay.covers(e.position)) {
        return e.lastSeen;
      }
    }
    return null;
  }
}
