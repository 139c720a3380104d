-- Contacts book and template catalogue: names, attributes and tags on the contacts that
-- inbound messages already create; marketing consent as evidence (every change one row);
-- CSV imports with their per-row errors; the WABA's message templates as Meta knows them.

ALTER TABLE contacts
  ADD COLUMN name text CHECK (length(name) <= 256),
  -- A flat object of strings and numbers (lib/contacts/schema.ts holds it to ≤ 50 keys).
  ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
  ADD COLUMN tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 50),
  -- The current consent; its history is contact_consent_events. Opting out clears the opt-in.
  ADD COLUMN marketing_opt_in_at timestamptz,
  ADD COLUMN marketing_opt_in_source text,
  ADD COLUMN opted_out_source text;
-- The list's cursor carries milliseconds (lib/cursor.ts): so does the column it pages on,
-- or rows within one millisecond of a page's end would be skipped.
ALTER TABLE contacts ALTER COLUMN created_at TYPE timestamptz(3);
-- Keyset order of GET /v1/contacts, and its filters.
CREATE INDEX contacts_list ON contacts (workspace_id, created_at DESC, id DESC);
CREATE INDEX contacts_tags ON contacts USING gin (tags);

-- Deleting a contact unlinks its messages: found by this, not by a scan.
CREATE INDEX messages_contact ON messages (contact_id) WHERE contact_id IS NOT NULL;

-- Evidence of consent: who changed it, when and how. Written by every path that changes
-- it (API, import, keyword in an inbound message), never updated.
CREATE TABLE contact_consent_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  contact_id uuid NOT NULL,
  consent text NOT NULL CHECK (consent IN ('opt_in', 'opt_out')),
  source text NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'operator', 'system', 'contact')),
  actor_id text,
  occurred_at timestamptz NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_consent_events_contact ON contact_consent_events (contact_id, occurred_at);

CREATE TABLE contact_imports (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  rows_read integer NOT NULL DEFAULT 0,
  created integer NOT NULL DEFAULT 0,
  updated integer NOT NULL DEFAULT 0,
  unchanged integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  -- Why the whole import stopped (a malformed CSV, a lost connection), if it did.
  error text,
  actor_type text NOT NULL,
  actor_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  UNIQUE (workspace_id, id)
);
CREATE INDEX contact_imports_workspace ON contact_imports (workspace_id, id DESC);

-- The first errors of an import, by line; contact_imports.failed counts them all.
CREATE TABLE contact_import_errors (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  import_id uuid NOT NULL,
  line integer NOT NULL CHECK (line > 0),
  message text NOT NULL,
  PRIMARY KEY (import_id, line),
  FOREIGN KEY (workspace_id, import_id) REFERENCES contact_imports (workspace_id, id) ON DELETE CASCADE
);

-- The WABA's templates as Meta reports them. Status, category and quality are Meta's
-- words (Meta adds values), so they are kept as given, not held to a list.
CREATE TABLE message_templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  waba_id text NOT NULL CHECK (waba_id ~ '^[0-9]{1,32}$'),
  meta_id text,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 512),
  language text NOT NULL CHECK (length(language) BETWEEN 1 AND 32),
  category text,
  status text NOT NULL,
  quality text,
  rejected_reason text,
  components jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, waba_id, name, language)
);
CREATE INDEX message_templates_meta_id ON message_templates (workspace_id, meta_id);

-- A WABA whose catalogue was synced once: from then on, a template it does not list is
-- refused before Meta; before, sends keep the behaviour of a workspace without one.
CREATE TABLE template_catalogues (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  waba_id text NOT NULL CHECK (waba_id ~ '^[0-9]{1,32}$'),
  synced_at timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, waba_id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON message_templates, template_catalogues TO sandesh_app;
GRANT SELECT, INSERT, UPDATE ON contact_imports TO sandesh_app;
GRANT SELECT, INSERT ON contact_import_errors TO sandesh_app;
-- Consent evidence is a record: written once, never changed by the app (deleting the
-- contact removes it with the contact).
GRANT SELECT, INSERT ON contact_consent_events TO sandesh_app;

SELECT sandesh_protect_tenant_table(t::regclass)
FROM unnest(ARRAY['contact_consent_events', 'contact_imports', 'contact_import_errors', 'message_templates', 'template_catalogues']) AS t;

-- Template webhooks name the WABA (entry.id), not a phone number: which workspaces have a
-- number of that WABA. Narrow: one input, workspace ids only.
CREATE FUNCTION sandesh_waba_workspaces(p_waba_id text)
RETURNS TABLE (workspace_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT DISTINCT workspace_id FROM whatsapp_numbers WHERE waba_id = p_waba_id
$$;
REVOKE ALL ON FUNCTION sandesh_waba_workspaces(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_waba_workspaces(text) TO sandesh_app;
