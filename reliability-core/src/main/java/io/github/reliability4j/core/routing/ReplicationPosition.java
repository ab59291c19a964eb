package io.github.reliability4j.core.routing;

import java.util.OptionalLong;

/**
 * A point in a database's replication stream: a PostgreSQL LSN, a MySQL/MariaDB GTID set, or a
 * commit time for the time-window mode.
 *
 * <p>Positions form a partial order (GTID sets are not totally ordered): {@link #covers} is the
 * order and {@link #merge} the least upper bound. Implementations must be immutable and
 * thread-safe, and must satisfy: {@code a.covers(a)}; {@code a.merge(b).covers(a)} and {@code
 * a.merge(b).covers(b)}; {@code merge} is commutative and associative. (PostgreSQL positions on
 * different timelines are the documented exception: see {@link LsnPosition}.)
 */
public interface ReplicationPosition {

  /** Whether a node at this position has applied everything up to {@code other}. */
  boolean covers(ReplicationPosition other);

  /**
   * Whether a node now at this position can still come to cover {@code other} by replaying further.
   * False when the two lie on diverged histories (PostgreSQL: different timelines), so waiting for
   * that node is pointless. Default: true.
   */
  default boolean mayCover(ReplicationPosition other) {
    return true;
  }

  /** The least position covering both. */
  ReplicationPosition merge(ReplicationPosition other);

  /** How many bytes of replication stream lie between {@code older} and this, if measurable. */
  default OptionalLong bytesAfter(ReplicationPosition older) {
    return OptionalLong.empty();
  }

  /**
   * A stable text form, parseable by the dialect that produced it; it must not contain the
   * character {@code '|'}.
   */
  String encode();
}
