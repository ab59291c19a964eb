-- reliability4j JDBC idempotency store: PostgreSQL (9.5+) schema.
-- Usable as a Flyway/Liquibase migration as is. To use another table name, replace every
-- occurrence of "reliability_idempotency" (the opt-in initializer does exactly that).
--
-- key_hash is the lowercase hex SHA-256 of the length-prefixed (scope, operation, client key);
-- the components are kept for operators.
-- expires_at is epoch milliseconds: the lease end while state = 'P' (in progress), the retention
-- end while state = 'C' (completed). A row whose expires_at has passed is logically absent.
-- took_over is 1 when the current claim replaced an expired in-progress claim of another owner.
CREATE TABLE IF NOT EXISTS reliability_idempotency (
    key_hash     CHAR(64)     NOT NULL,
    scope        VARCHAR(1024) NOT NULL,
    operation    VARCHAR(1024) NOT NULL,
    client_key   VARCHAR(1024) NOT NULL,
    state        CHAR(1)      NOT NULL,
    owner_token  VARCHAR(64)  NOT NULL,
    fingerprint  VARCHAR(128),
    created_at   BIGINT       NOT NULL,
    expires_at   BIGINT       NOT NULL,
    took_over    SMALLINT     NOT NULL DEFAULT 0,
    result_code  INTEGER,
    metadata     BYTEA,
    body         BYTEA,
    CONSTRAINT reliability_idempotency_pk PRIMARY KEY (key_hash)
);
-- Claim path: the primary key. Purge path: expired rows are found through this index.
CREATE INDEX IF NOT EXISTS reliability_idempotency_expires_idx
    ON reliability_idempotency (expires_at);
