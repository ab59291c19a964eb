-- reliability4j JDBC idempotency store: converts a PostgreSQL table created by 0.1.0 (row format
-- 1: hex key_hash and fingerprint, expires_at indexed) to row format 2 (schema-postgresql.sql).
-- The stored digests are the same SHA-256 values, decoded from hex, so every row keeps matching
-- its key and fingerprint; purge_at starts at expires_at.
--
-- Optional: a 0.1.0 table keeps working as it is. Run it once, with every instance of the
-- service stopped or already on this version (a 0.1.0 instance cannot write to the converted
-- table: its statements fail loudly with a type error, they never write a mixed format). It
-- rewrites the table under an ACCESS EXCLUSIVE lock: plan a maintenance window for large tables.
-- For a schema-qualified table run it with that schema first on the search_path.
-- To use another table name, replace every occurrence of "reliability_idempotency".
ALTER TABLE reliability_idempotency
    ALTER COLUMN key_hash TYPE BYTEA USING decode(key_hash, 'hex'),
    ALTER COLUMN fingerprint TYPE BYTEA USING decode(fingerprint, 'hex'),
    ADD COLUMN purge_at BIGINT;
UPDATE reliability_idempotency SET purge_at = expires_at;
ALTER TABLE reliability_idempotency ALTER COLUMN purge_at SET NOT NULL;
ALTER TABLE reliability_idempotency SET (fillfactor = 90);
CREATE INDEX IF NOT EXISTS reliability_idempotency_purge_idx
    ON reliability_idempotency (purge_at);
DROP INDEX IF EXISTS reliability_idempotency_expires_idx;
