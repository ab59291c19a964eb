/**
 * Contract test for replication dialects ({@code
 * io.github.reliability4j.jdbc.routing.ReplicationDialect}): extend {@link
 * io.github.reliability4j.test.routing.AbstractReplicationDialectContract}, bind the dialect
 * through its {@code Dialect} view and give it a primary and a replica from the embedded PostgreSQL
 * kit ({@code @ReplicatedPostgres}) or the MariaDB kit ({@code @ReplicatedMariaDb}).
 */
package io.github.reliability4j.test.routing;
