-- reliability4j JDBC idempotency store: converts a table created by 0.1.0 (row format 1: hex
-- key_hash and fingerprint, expires_at indexed) to row format 2 (see the schema file beside this
-- one). The stored digests are the same SHA-256 values, decoded from hex with UNHEX, so every row
-- keeps matching its key and fingerprint; purge_at starts at expires_at.
--
-- Optional: a 0.1.0 table keeps working as it is. Run it once, with every instance of the
-- service stopped or already on this version. Each ALTER TABLE commits on its own and copies the
-- table: plan a maintenance window for large tables.
-- To use another table name, replace every occurrence of "reliability_idempotency".
ALTER TABLE reliability_idempotency
    MODIFY key_hash VARBINARY(64) NOT NULL,
    MODIFY fingerprint VARBINARY(128),
    ADD COLUMN purge_at BIGINT NOT NULL DEFAULT 0;
UPDATE reliability_idempotency
    SET key_hash = UNHEX(key_hash), fingerprint = UNHEX(fingerprint), purge_at = expires_at;
ALTER TABLE reliability_idempotency
    MODIFY key_hash BINARY(32) NOT NULL,
    MODIFY fingerprint BINARY(32),
    ADD KEY reliability_idempotency_purge_idx (purge_at),
    DROP INDEX reliability_idempotency_expires_idx;
