/**
 * JDBC health probes: database connectivity over a dedicated connection, HikariCP pool saturation
 * read from the pool's MXBean, and replica lag / availability read from a {@link
 * io.github.reliability4j.jdbc.health.ReplicaLagSource} (the routing DataSource's lag monitor).
 *
 * <p>None of these probes borrows a connection from the application's pool: when the pool is
 * exhausted, a probe that borrowed would wait the full pool timeout and then report the database
 * down, while the truth is "the database is fine, the pool is saturated".
 */
package io.github.reliability4j.jdbc.health;
