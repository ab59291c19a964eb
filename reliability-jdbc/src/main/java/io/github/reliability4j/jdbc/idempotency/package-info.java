/**
 * Idempotency records in a relational database: {@link
 * io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore} (PostgreSQL, MariaDB, MySQL, H2)
 * with its configuration, DDL resources ({@link
 * io.github.reliability4j.jdbc.idempotency.JdbcIdempotencySchema}), transactional completion and
 * retention ({@link io.github.reliability4j.jdbc.idempotency.IdempotencyPurgeScheduler}).
 */
package io.github.reliability4j.jdbc.idempotency;
