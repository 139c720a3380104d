-- Foundation: tenants, API keys, WhatsApp numbers, contacts, messages, events, audit.
-- Runs as the owner role. The application role `sandesh_app` owns nothing, has no
-- BYPASSRLS and is what every application transaction runs as (SET LOCAL ROLE).

DO $$ BEGIN
  CREATE ROLE sandesh_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
-- A role created elsewhere with the same name must not carry more than we grant.
ALTER ROLE sandesh_app NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
DO $$ BEGIN
  EXECUTE format('GRANT sandesh_app TO %I', current_user);
EXCEPTION WHEN others THEN NULL; -- already a member, or a superuser that needs no grant
END $$;

GRANT USAGE ON SCHEMA public TO sandesh_app;

CREATE TABLE workspaces (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  settings jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name text NOT NULL DEFAULT 'default',
  prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id);

CREATE TABLE whatsapp_numbers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  phone_number_id text NOT NULL UNIQUE CHECK (phone_number_id ~ '^[0-9]{1,32}$'),
  waba_id text NOT NULL CHECK (waba_id ~ '^[0-9]{1,32}$'),
  display_number text,
  messaging_tier text NOT NULL DEFAULT 'TIER_250',
  throughput_mps integer NOT NULL DEFAULT 80 CHECK (throughput_mps BETWEEN 1 AND 1000),
  token_ciphertext bytea NOT NULL,
  token_iv bytea NOT NULL CHECK (length(token_iv) = 12),
  token_tag bytea NOT NULL CHECK (length(token_tag) = 16),
  token_key_version integer NOT NULL,
  token_status text NOT NULL DEFAULT 'active' CHECK (token_status IN ('active', 'needs_new_token')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX whatsapp_numbers_workspace ON whatsapp_numbers (workspace_id);

CREATE TABLE contacts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  wa_id text NOT NULL CHECK (wa_id ~ '^[0-9]{5,20}$'),
  profile_name text,
  opted_out_at timestamptz,
  last_inbound_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, wa_id)
);

CREATE TABLE messages (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  whatsapp_number_id uuid NOT NULL REFERENCES whatsapp_numbers(id),
  contact_id uuid REFERENCES contacts(id),
  direction text NOT NULL CHECK (direction IN ('outbound', 'inbound')),
  recipient text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'sending', 'retrying', 'sent', 'delivered', 'read', 'failed', 'received')),
  wamid text,
  error_code integer,
  error_title text,
  error_details text,
  idempotency_key text,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_tracker ON messages (workspace_id, created_at DESC, id DESC);
CREATE INDEX messages_status ON messages (workspace_id, status, created_at DESC);
-- Meta's ids are unique per tenant here: another tenant's row can never block an insert.
CREATE UNIQUE INDEX messages_wamid ON messages (workspace_id, wamid) WHERE wamid IS NOT NULL;
-- The database's own backstop for idempotency: one message per key per workspace, even
-- if Redis forgets the key (see lib/messages/writer.ts for keys reused after 24 h).
CREATE UNIQUE INDEX messages_idempotency ON messages (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE message_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  message_id uuid NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  status text NOT NULL,
  occurred_at timestamptz NOT NULL,
  dedupe_key text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, dedupe_key)
);
CREATE INDEX message_events_message ON message_events (message_id, occurred_at);

-- Append-only: the application role may insert and read, never change or remove.
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'operator', 'system')),
  actor_id text,
  action text NOT NULL,
  object_type text,
  object_id text,
  ip text,
  user_agent text,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, created_at DESC);

GRANT SELECT, INSERT, UPDATE ON workspaces TO sandesh_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON api_keys, whatsapp_numbers, contacts, messages, message_events TO sandesh_app;
GRANT SELECT, INSERT ON audit_log TO sandesh_app;

-- Row-level security: ENABLE + FORCE everywhere. `sandesh_app` sees one tenant, the
-- one named by the transaction-local setting; with the setting unset it sees nothing.
-- The owner keeps a maintenance policy for migrations, the admin CLI and the
-- SECURITY DEFINER look-ups below. Every later tenant table calls this one function.
CREATE FUNCTION sandesh_protect_tenant_table(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
  EXECUTE format($p$CREATE POLICY tenant_isolation ON %s TO sandesh_app
    USING (workspace_id = nullif(current_setting('app.workspace_id', true), '')::uuid)
    WITH CHECK (workspace_id = nullif(current_setting('app.workspace_id', true), '')::uuid)$p$, t);
  EXECUTE format('CREATE POLICY owner_maintenance ON %s TO %I USING (true) WITH CHECK (true)', t, current_user);
END $$;
REVOKE ALL ON FUNCTION sandesh_protect_tenant_table(regclass) FROM PUBLIC;

SELECT sandesh_protect_tenant_table(t::regclass)
FROM unnest(ARRAY['api_keys', 'whatsapp_numbers', 'contacts', 'messages', 'message_events', 'audit_log']) AS t;

ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workspaces TO sandesh_app
  USING (id = nullif(current_setting('app.workspace_id', true), '')::uuid)
  WITH CHECK (id = nullif(current_setting('app.workspace_id', true), '')::uuid);
DO $$ BEGIN
  EXECUTE format('CREATE POLICY owner_maintenance ON workspaces TO %I USING (true) WITH CHECK (true)', current_user);
END $$;

-- Look-ups that happen before the tenant is known. Narrow by design: one input, the
-- few columns the caller needs, nothing listable.
CREATE FUNCTION sandesh_api_key_lookup(p_key_hash text)
RETURNS TABLE (key_id uuid, workspace_id uuid, revoked boolean, settings jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT k.id, k.workspace_id, k.revoked_at IS NOT NULL, w.settings
  FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
  WHERE k.key_hash = p_key_hash
$$;

CREATE FUNCTION sandesh_number_lookup(p_phone_number_id text)
RETURNS TABLE (workspace_id uuid, number_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT workspace_id, id FROM whatsapp_numbers WHERE phone_number_id = p_phone_number_id
$$;

REVOKE ALL ON FUNCTION sandesh_api_key_lookup(text), sandesh_number_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_api_key_lookup(text), sandesh_number_lookup(text) TO sandesh_app;
