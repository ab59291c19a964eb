-- Test resource: the PostgreSQL DDL of row format 2 as first shipped (changed columns in front),
-- kept to test migrate-0.2-column-order-postgresql.sql and the WAL saved by the current order.
-- reliability4j JDBC idempotency store: PostgreSQL (9.5+) schema, row format 2.
-- Usable as a Flyway/Liquibase migration as is. To use another table name, replace every
-- occurrence of "reliability_idempotency" (the opt-in initializer does exactly that).
--
-- key_hash is the SHA-256 of the length-prefixed (scope, operation, client key), 32 raw bytes
-- (RequestFingerprint.ofParts(scope, operation, clientKey)); the components are kept for
-- operators. fingerprint is the 32-byte request fingerprint.
-- expires_at is epoch milliseconds: the lease end while state = 'P' (in progress), the retention
-- end while state = 'C' (completed). A row whose expires_at has passed is logically absent.
-- purge_at (indexed) is when the row may be deleted: fixed at claim time to lease + the retention
-- the engine will complete with, moved only forward, always at or after expires_at. Completing a
-- record therefore changes no indexed column.
-- took_over is 1 when the current claim replaced an expired in-progress claim of another owner.
-- Tables created by 0.1.0 (hex key_hash, no purge_at) keep working unchanged; to convert one, see
-- migrate-0.1-to-0.2-<database>.sql beside this file.
-- Fixed-width columns first (no alignment padding); fillfactor 90 leaves room on each page for
-- the completed version of a row, so the completion can be a heap-only (HOT) update.
CREATE TABLE IF NOT EXISTS reliability_idempotency (
    created_at   BIGINT       NOT NULL,
    expires_at   BIGINT       NOT NULL,
    purge_at     BIGINT       NOT NULL,
    result_code  INTEGER,
    took_over    SMALLINT     NOT NULL DEFAULT 0,
    state        CHAR(1)      NOT NULL,
    key_hash     BYTEA        NOT NULL,
    owner_token  VARCHAR(64)  NOT NULL,
    fingerprint  BYTEA,
    scope        VARCHAR(1024) NOT NULL,
    operation    VARCHAR(1024) NOT NULL,
    client_key   VARCHAR(1024) NOT NULL,
    metadata     BYTEA,
    body         BYTEA,
    CONSTRAINT reliability_idempotency_pk PRIMARY KEY (key_hash)
) WITH (fillfactor = 90);
-- Claim path: the primary key. Purge path: expired rows are found through this index.
CREATE INDEX IF NOT EXISTS reliability_idempotency_purge_idx
    ON reliability_idempotency (purge_at);
