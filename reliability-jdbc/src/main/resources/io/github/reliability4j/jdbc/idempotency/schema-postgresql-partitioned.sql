-- reliability4j JDBC idempotency store: PostgreSQL (11+; 14+ to detach without blocking) layout
-- with one partition per day, for volumes where deleting expired rows costs too much: whole days
-- are detached and dropped instead. Use with JdbcIdempotencyStoreConfig.custom().partitionedByDay(true).
-- Usable as a Flyway/Liquibase migration as is. To use another table name, replace every
-- occurrence of "reliability_idempotency" (the opt-in initializer does exactly that).
--
-- Same columns as schema-postgresql.sql, plus created_day, the partition key: the UTC day of the
-- claim that created the row. PostgreSQL cannot enforce uniqueness of key_hash alone across
-- partitions, so claims go through reliability_idempotency_claim(), which serializes claims of one
-- key with a transaction-scoped advisory lock and moves a taken-over key into today's partition.
-- Once every row of a day has expired nothing can make one live again (complete and renew require
-- a live lease; a takeover inserts into today's partition), so the day can be dropped safely.
-- Partitions are created ahead and dropped by JdbcIdempotencyStore.maintainPartitions().
CREATE TABLE IF NOT EXISTS reliability_idempotency (
    key_hash     CHAR(64)      NOT NULL,
    scope        VARCHAR(1024) NOT NULL,
    operation    VARCHAR(1024) NOT NULL,
    client_key   VARCHAR(1024) NOT NULL,
    state        CHAR(1)       NOT NULL,
    owner_token  VARCHAR(64)   NOT NULL,
    fingerprint  VARCHAR(128),
    created_at   BIGINT        NOT NULL,
    expires_at   BIGINT        NOT NULL,
    took_over    SMALLINT      NOT NULL DEFAULT 0,
    result_code  INTEGER,
    metadata     BYTEA,
    body         BYTEA,
    created_day  DATE          NOT NULL,
    CONSTRAINT reliability_idempotency_pk PRIMARY KEY (key_hash, created_day)
) PARTITION BY RANGE (created_day);
-- Lets the drop check read max(expires_at) of a day from the index.
CREATE INDEX IF NOT EXISTS reliability_idempotency_expires_idx
    ON reliability_idempotency (expires_at);
CREATE OR REPLACE FUNCTION reliability_idempotency_claim(
    p_key_hash VARCHAR, p_scope VARCHAR, p_operation VARCHAR, p_client_key VARCHAR,
    p_state VARCHAR, p_owner_token VARCHAR, p_fingerprint VARCHAR, p_now BIGINT, p_expires_at BIGINT)
RETURNS SETOF reliability_idempotency
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    r reliability_idempotency%ROWTYPE;
    took SMALLINT := 0;
BEGIN
    -- Serializes claims of this key for the rest of the transaction (the claim's own statement);
    -- each statement below then reads a snapshot taken after the lock.
    PERFORM pg_advisory_xact_lock(hashtextextended('reliability_idempotency:' || p_key_hash, 0));
    -- A duplicate (live row) is answered by a plain read: a row lock would write WAL and take a
    -- transaction ID on every retry.
    SELECT * INTO r FROM reliability_idempotency
        WHERE key_hash = p_key_hash AND expires_at > p_now;
    IF FOUND THEN
        RETURN NEXT r;
        RETURN;
    END IF;
    -- Locked: an owner whose clock is behind ours may be completing the row right now.
    SELECT * INTO r FROM reliability_idempotency WHERE key_hash = p_key_hash FOR UPDATE;
    IF FOUND AND r.expires_at > p_now THEN
        RETURN NEXT r;
        RETURN;
    END IF;
    IF FOUND THEN
        took := CASE WHEN r.state = 'P' THEN 1 ELSE 0 END;
        DELETE FROM reliability_idempotency
            WHERE key_hash = p_key_hash AND created_day = r.created_day;
    END IF;
    INSERT INTO reliability_idempotency (key_hash, scope, operation, client_key, state,
            owner_token, fingerprint, created_at, expires_at, took_over, created_day)
        VALUES (p_key_hash, p_scope, p_operation, p_client_key, p_state, p_owner_token,
            p_fingerprint, p_now, p_expires_at, took,
            (to_timestamp(p_now / 1000.0) AT TIME ZONE 'UTC')::date)
        RETURNING * INTO r;
    RETURN NEXT r;
END
$$;
