-- The platform's two tables as tenant-edge depends on them (DESIGN.md section 4).
-- A TEST FIXTURE: the real tables belong to the platform and are never created or altered by
-- tenant-edge. Booleans are nullable here on purpose, so tests can check NULL handling.
CREATE TABLE IF NOT EXISTS stores (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid,
    slug       varchar(255) NOT NULL UNIQUE,
    status     varchar(50) NOT NULL DEFAULT 'pending_database',
    is_active  boolean DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS store_hostnames (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    store_id         uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    hostname         varchar(255) NOT NULL UNIQUE,
    slug             varchar(255),
    is_primary       boolean DEFAULT true,
    is_custom_domain boolean DEFAULT false,
    ssl_enabled      boolean DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
