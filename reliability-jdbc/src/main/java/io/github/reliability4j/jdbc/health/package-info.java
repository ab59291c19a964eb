/**
 * JDBC health probes: database connectivity over a dedicated connection, HikariCP pool saturation
 * read from the pool's MXBean, and replica lag / availability read from core's {@link
 * io.github.reliability4j.core.routing.ReplicaLagView} (the routing DataSource's {@code lagView()}:
 * its lag monitor's last samples, so these probes run no query). The lag view is the one model of a
 * replica's lag and admission; {@code ReplicaReadings} holds the rules both replica probes read it
 * by.
 *
 * <p>None of these probes borrows a connection from the application's pool: when the pool is
 * exhausted, a probe that borrowed would wait the full pool timeout and then report the database
 * down, while the truth is "the database is fine, the pool is saturated".
 */
package io.github.reliability4j.jdbc.health;
