-- Demo stores in every state tenant-edge knows, plus the cases it must survive.
-- Used by scripts/demo and by the end-to-end tests (Tests/e2e), on top of
-- platform_schema.sql and tenant_edge_migration.sql. Idempotent.
--
-- Hostnames: every store has a platform subdomain row (<slug>.platform.test) and a
-- custom domain (www.<slug>.test), except shop2, which has only a custom domain
-- (shop2.example.test) so that shop2.platform.test resolves through the platform
-- wildcard (lookup by stores.slug) and not through an exact row.
--
--   slug          status            is_active  expected answer
--   shop1         active            true       forwarded
--   shop2         active            true       forwarded
--   demo1         demo              true       forwarded
--   pending1      pending_database  true       503 STORE_PROVISIONING + Retry-After
--   provisioning1 provisioning      true       503 STORE_PROVISIONING + Retry-After
--   provisioned1  provisioned       true       503 STORE_PROVISIONING + Retry-After
--   suspended1    suspended         true       503 STORE_INACTIVE
--   closed1       inactive          true       410 STORE_CLOSED
--   archived1     archived          true       503 (a status the platform never documented)
--   offline1      active            false      503 STORE_INACTIVE

BEGIN;

INSERT INTO stores (id, user_id, slug, status, is_active, created_at, updated_at) VALUES
  ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-a000-000000000001', 'shop1',         'active',           true,  now(), now()),
  ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-a000-000000000001', 'shop2',         'active',           true,  now(), now()),
  ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-a000-000000000002', 'demo1',         'demo',             true,  now(), now()),
  ('00000000-0000-4000-8000-000000000004', '00000000-0000-4000-a000-000000000002', 'pending1',      'pending_database', true,  now(), now()),
  ('00000000-0000-4000-8000-000000000005', '00000000-0000-4000-a000-000000000003', 'provisioning1', 'provisioning',     true,  now(), now()),
  ('00000000-0000-4000-8000-000000000006', '00000000-0000-4000-a000-000000000003', 'provisioned1',  'provisioned',      true,  now(), now()),
  ('00000000-0000-4000-8000-000000000007', '00000000-0000-4000-a000-000000000004', 'suspended1',    'suspended',        true,  now(), now()),
  ('00000000-0000-4000-8000-000000000008', '00000000-0000-4000-a000-000000000004', 'closed1',       'inactive',         true,  now(), now()),
  ('00000000-0000-4000-8000-000000000009', '00000000-0000-4000-a000-000000000005', 'archived1',     'archived',         true,  now(), now()),
  ('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-a000-000000000005', 'offline1',      'active',           false, now(), now())
ON CONFLICT DO NOTHING;

INSERT INTO store_hostnames (id, store_id, hostname, slug, is_primary, is_custom_domain, ssl_enabled, created_at, updated_at) VALUES
  ('00000000-0000-4000-9000-000000000101', '00000000-0000-4000-8000-000000000001', 'shop1.platform.test',         'shop1',         true,  false, true, now(), now()),
  ('00000000-0000-4000-9000-000000000102', '00000000-0000-4000-8000-000000000001', 'www.shop1.test',              'shop1',         false, true,  true, now(), now()),
  ('00000000-0000-4000-9000-000000000202', '00000000-0000-4000-8000-000000000002', 'shop2.example.test',          'shop2',         true,  true,  true, now(), now()),
  ('00000000-0000-4000-9000-000000000301', '00000000-0000-4000-8000-000000000003', 'demo1.platform.test',         'demo1',         true,  false, true, now(), now()),
  ('00000000-0000-4000-9000-000000000302', '00000000-0000-4000-8000-000000000003', 'www.demo1.test',              'demo1',         false, true,  true, now(), now()),
  ('00000000-0000-4000-9000-000000000401', '00000000-0000-4000-8000-000000000004', 'pending1.platform.test',      'pending1',      true,  false, true, now(), now()),
  ('00000000-0000-4000-9000-000000000402', '00000000-0000-4000-8000-000000000004', 'www.pending1.test',           'pending1',      false, true,  true, now(), now()),
  ('00000000-0000-4000-9000-000000000501', '00000000-0000-4000-8000-000000000005', 'provisioning1.platform.test', 'provisioning1', true,  false, true, now(), now()),
  ('00000000-0000-4000-9000-000000000502', '00000000-0000-4000-8000-000000000005', 'www.provisioning1.test',      'provisioning1', false, true,  true, now(), now()),
  ('00000000-0000-4000-9000-000000000601', '00000000-0000-4000-8000-000000000006', 'provisioned1.platform.test',  'provisioned1',  true,  false, true, now(), now()),
  ('00000000-0000-4000-9000-000000000602', '00000000-0000-4000-8000-000000000006', 'www.provisioned1.test',       'provisioned1',  false, true,  true, now(), now()),
  ('00000000-0000-4000-9000-000000000701', '00000000-0000-4000-8000-000000000007', 'suspended1.platform.test',    'suspended1',    true,  false, true, now(), now()),
  ('00000000-0000-4000-9000-000000000702', '00000000-0000-4000-8000-000000000007', 'www.suspended1.test',         'suspended1',    false, true,  true, now(), now()),
  ('00000000-0000-4000-9000-000000000801', '00000000-0000-4000-8000-000000000008', 'closed1.platform.test',       'closed1',       true,  false, true, now(), now()),
  ('00000000-0000-4000-9000-000000000802', '00000000-0000-4000-8000-000000000008', 'www.closed1.test',            'closed1',       false, true,  true, now(), now()),
  ('00000000-0000-4000-9000-000000000901', '00000000-0000-4000-8000-000000000009', 'archived1.platform.test',     'archived1',     true,  false, true, now(), now()),
  ('00000000-0000-4000-9000-000000000902', '00000000-0000-4000-8000-000000000009', 'www.archived1.test',          'archived1',     false, true,  true, now(), now()),
  ('00000000-0000-4000-9000-000000000a01', '00000000-0000-4000-8000-00000000000a', 'offline1.platform.test',      'offline1',      true,  false, true, now(), now()),
  ('00000000-0000-4000-9000-000000000a02', '00000000-0000-4000-8000-00000000000a', 'www.offline1.test',           'offline1',      false, true,  true, now(), now())
ON CONFLICT DO NOTHING;

COMMIT;
