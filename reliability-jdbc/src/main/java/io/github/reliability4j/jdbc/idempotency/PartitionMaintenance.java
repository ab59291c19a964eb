package io.github.reliability4j.jdbc.idempotency;

import java.util.List;

/**
 * What one {@link JdbcIdempotencyStore#maintainPartitions()} run did in the PostgreSQL
 * partition-per-day layout.
 *
 * @param created day partitions created by this run
 * @param dropped day partitions detached and dropped by this run (every row had expired)
 * @param retained old day partitions kept because a row in them is still live (a lease or retention
 *     reaching past now); they are dropped by a later run
 */
public record PartitionMaintenance(
    List<String> created, List<String> dropped, List<String> retained) {

  public PartitionMaintenance {
    created = List.copyOf(created);
    dropped = List.copyOf(dropped);
    retained = List.copyOf(retained);
  }
}
