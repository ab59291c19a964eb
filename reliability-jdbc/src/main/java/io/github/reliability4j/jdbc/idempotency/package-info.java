/**
 * Idempotency records in a relational database: {@link
 * io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore} (PostgreSQL, MariaDB, MySQL, H2)
 * with its configuration, DDL resources and the 0.1.0 → 0.2 migration scripts ({@link
 * io.github.reliability4j.jdbc.idempotency.JdbcIdempotencySchema}), transactional completion and
 * retention ({@link io.github.reliability4j.jdbc.idempotency.IdempotencyPurgeScheduler}). Inside,
 * package-private: one small immutable dialect class per database holding its SQL next to the
 * description of its algorithm ({@code PostgresDialect}, {@code PostgresPartitionedDialect}, {@code
 * MariaDbDialect}, {@code MySqlDialect}, {@code H2Dialect}, the shared statements in {@code
 * Dialect}), and the two row formats a table can have ({@code RowFormat}).
 */
package io.github.reliability4j.jdbc.idempotency;
