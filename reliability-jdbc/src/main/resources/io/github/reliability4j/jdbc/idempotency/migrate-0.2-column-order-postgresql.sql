-- reliability4j JDBC idempotency store: rewrites a PostgreSQL table of row format 2 whose columns
-- are in another order than schema-postgresql.sql (created by an earlier 0.2 DDL, or converted
-- from 0.1.0 by migrate-0.1-to-0.2-postgresql.sql) into that DDL's order: the columns a completion
-- never changes first, so that a completion's WAL record leaves them out (see the DDL's comment).
-- Only the physical order changes; every row, key, lease and outcome is kept as it is.
--
-- Optional: such a table works unchanged, it only writes more WAL per completion. Run it in one
-- transaction (the statements below do), with the service's instances running or not: the
-- exclusive lock makes claims wait for the copy, and they then see the new table. It copies the
-- whole table: plan a maintenance window for large tables. The table is replaced, so grants,
-- comments and views on it must be recreated afterwards. For a schema-qualified table run it with
-- that schema first on the search_path. To use another table name, replace every occurrence of
-- "reliability_idempotency".
BEGIN;
LOCK TABLE reliability_idempotency IN ACCESS EXCLUSIVE MODE;
CREATE TABLE reliability_idempotency_reordered (
    created_at   BIGINT       NOT NULL,
    purge_at     BIGINT       NOT NULL,
    took_over    SMALLINT     NOT NULL DEFAULT 0,
    key_hash     BYTEA        NOT NULL,
    fingerprint  BYTEA,
    owner_token  VARCHAR(64)  NOT NULL,
    scope        VARCHAR(1024) NOT NULL,
    operation    VARCHAR(1024) NOT NULL,
    client_key   VARCHAR(1024) NOT NULL,
    expires_at   BIGINT       NOT NULL,
    state        CHAR(1)      NOT NULL,
    result_code  INTEGER,
    metadata     BYTEA,
    body         BYTEA
) WITH (fillfactor = 90);
INSERT INTO reliability_idempotency_reordered (created_at, purge_at, took_over, key_hash,
        fingerprint, owner_token, scope, operation, client_key, expires_at, state, result_code,
        metadata, body)
    SELECT created_at, purge_at, took_over, key_hash, fingerprint, owner_token, scope, operation,
        client_key, expires_at, state, result_code, metadata, body
    FROM reliability_idempotency;
DROP TABLE reliability_idempotency;
ALTER TABLE reliability_idempotency_reordered RENAME TO reliability_idempotency;
ALTER TABLE reliability_idempotency
    ADD CONSTRAINT reliability_idempotency_pk PRIMARY KEY (key_hash);
CREATE INDEX reliability_idempotency_purge_idx ON reliability_idempotency (purge_at);
COMMIT;
