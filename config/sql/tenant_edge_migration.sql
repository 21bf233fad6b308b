-- tenant-edge migration: a change log of the platform's routing tables, filled by triggers,
-- announced with NOTIFY (DESIGN.md section 4).
--
-- Idempotent: run it any number of times (`tenant-edge migrate`, or psql -f). Additive: it adds
-- one table, functions and triggers, and never alters the platform's own columns. It runs in one
-- transaction, so a failure leaves the database as it was.
BEGIN;

-- Two instances migrating at once would race on CREATE ... IF NOT EXISTS; the lock (released at
-- COMMIT) makes the second one wait and then find everything in place.
SELECT pg_advisory_xact_lock(7310652173);

CREATE TABLE IF NOT EXISTS tenant_edge_changes (
    seq        bigserial PRIMARY KEY,
    table_name text NOT NULL,
    op         text NOT NULL,
    store_id   uuid,
    hostname   text,
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- Retention: tenant-edge reads only the rows after the sequence it last applied; a reader that
-- falls further behind than the log reaches does a full reload. Old rows are therefore only
-- history: prune them periodically, e.g. daily with
--     SELECT tenant_edge_prune_changes(interval '7 days');
-- The index keeps that delete cheap.
CREATE INDEX IF NOT EXISTS tenant_edge_changes_changed_at_idx ON tenant_edge_changes (changed_at);

COMMENT ON TABLE tenant_edge_changes IS
    'tenant-edge change log of stores/store_hostnames, filled by triggers; prune with tenant_edge_prune_changes(interval)';

-- The trigger functions run as their owner (SECURITY DEFINER), so the platform's application
-- role needs no grant on the change log: a missing grant would otherwise make every write to
-- stores fail. search_path is pinned to the one this migration ran with, so the log table is
-- found whatever the writing session's search_path is.
--
-- A store row change logs its id: the proxy then refreshes the store and every hostname of it.
CREATE OR REPLACE FUNCTION tenant_edge_log_store_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    new_seq bigint;
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id) THEN
        INSERT INTO tenant_edge_changes (table_name, op, store_id)
        VALUES (TG_TABLE_NAME, TG_OP, OLD.id)
        RETURNING seq INTO new_seq;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO tenant_edge_changes (table_name, op, store_id)
        VALUES (TG_TABLE_NAME, TG_OP, NEW.id)
        RETURNING seq INTO new_seq;
    END IF;
    -- Only the sequence number: payloads are limited to 8000 bytes, and the reader fetches the
    -- rows after its last applied sequence anyway.
    PERFORM pg_notify('tenant_edge_changes', new_seq::text);
    RETURN NULL;
END;
$$;

-- A hostname row change logs the old and the new hostname when they differ (a rename or a move
-- to another store must drop the old entry, not only add the new one).
CREATE OR REPLACE FUNCTION tenant_edge_log_hostname_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    new_seq bigint;
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (OLD.hostname IS DISTINCT FROM NEW.hostname
                                                  OR OLD.store_id IS DISTINCT FROM NEW.store_id)) THEN
        INSERT INTO tenant_edge_changes (table_name, op, store_id, hostname)
        VALUES (TG_TABLE_NAME, TG_OP, OLD.store_id, OLD.hostname)
        RETURNING seq INTO new_seq;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO tenant_edge_changes (table_name, op, store_id, hostname)
        VALUES (TG_TABLE_NAME, TG_OP, NEW.store_id, NEW.hostname)
        RETURNING seq INTO new_seq;
    END IF;
    PERFORM pg_notify('tenant_edge_changes', new_seq::text);
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS tenant_edge_stores_changed ON stores;
CREATE TRIGGER tenant_edge_stores_changed
    AFTER INSERT OR UPDATE OR DELETE ON stores
    FOR EACH ROW EXECUTE FUNCTION tenant_edge_log_store_change();

DROP TRIGGER IF EXISTS tenant_edge_store_hostnames_changed ON store_hostnames;
CREATE TRIGGER tenant_edge_store_hostnames_changed
    AFTER INSERT OR UPDATE OR DELETE ON store_hostnames
    FOR EACH ROW EXECUTE FUNCTION tenant_edge_log_hostname_change();

-- Deletes log rows older than `keep` and returns how many went. The newest row always stays, so
-- max(seq) never goes backwards: a reader comparing it with its last applied sequence would
-- otherwise take an emptied log for a rewound one.
CREATE OR REPLACE FUNCTION tenant_edge_prune_changes(keep interval) RETURNS bigint
LANGUAGE sql SET search_path FROM CURRENT AS $$
    WITH pruned AS (
        DELETE FROM tenant_edge_changes
        WHERE changed_at < now() - keep
          AND seq < (SELECT max(seq) FROM tenant_edge_changes)
        RETURNING 1
    )
    SELECT count(*) FROM pruned;
$$;

-- Certificates issued on demand (ACME) for store-owned domains, shared by every instance. The
-- private key is stored sealed with AES-256-GCM under the platform's ENCRYPTION_KEY: the database
-- never holds it in the clear. `state` is 'pending' (an instance is ordering), 'valid' or
-- 'failing' (with `failure_reason`; no new order before `next_attempt_at`).
CREATE TABLE IF NOT EXISTS tenant_edge_certificates (
    hostname        text PRIMARY KEY,
    state           text NOT NULL DEFAULT 'pending',
    chain_pem       text,
    key_ciphertext  bytea,
    key_nonce       bytea,
    not_before      timestamptz,
    not_after       timestamptz,
    failure_reason  text,
    failures        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    orders          integer NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE tenant_edge_certificates IS
    'tenant-edge ACME certificates per hostname; key_ciphertext is AES-256-GCM under ENCRYPTION_KEY';

-- The token of a pending TLS-ALPN-01 challenge (RFC 8737), set by the ordering instance while
-- the CA validates: the CA may reach any instance, and each builds the challenge certificate
-- from the token and the shared account key. Not a secret (the CA sends it in the clear).
ALTER TABLE tenant_edge_certificates ADD COLUMN IF NOT EXISTS challenge_token text;

-- The ACME account key, one per directory URL, sealed the same way: every instance signs with
-- the same account, so rate limits and the CA's records see one client.
CREATE TABLE IF NOT EXISTS tenant_edge_acme_accounts (
    directory_url  text PRIMARY KEY,
    account_url    text,
    key_ciphertext bytea NOT NULL,
    key_nonce      bytea NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Every change to a certificate row is announced with the hostname (at most 255 bytes, far
-- below NOTIFY's payload limit): the other instances reload that one row and load the new
-- certificate into their TLS store without a restart.
CREATE OR REPLACE FUNCTION tenant_edge_notify_certificate_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('tenant_edge_certificates', OLD.hostname);
    ELSE
        PERFORM pg_notify('tenant_edge_certificates', NEW.hostname);
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS tenant_edge_certificates_changed ON tenant_edge_certificates;
CREATE TRIGGER tenant_edge_certificates_changed
    AFTER INSERT OR UPDATE OR DELETE ON tenant_edge_certificates
    FOR EACH ROW EXECUTE FUNCTION tenant_edge_notify_certificate_change();

COMMIT;
