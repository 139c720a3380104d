-- Meta webhook ingest: the 24-hour customer-service window per contact and number,
-- pricing and conversation on messages, and a backlog for statuses that arrive before
-- the send job has recorded the message's wamid.

CREATE TABLE customer_windows (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  whatsapp_number_id uuid NOT NULL REFERENCES whatsapp_numbers(id) ON DELETE CASCADE,
  wa_id text NOT NULL CHECK (wa_id ~ '^[0-9]{5,20}$'),
  last_inbound_at timestamptz NOT NULL,
  PRIMARY KEY (whatsapp_number_id, wa_id)
);
CREATE INDEX customer_windows_workspace ON customer_windows (workspace_id);

ALTER TABLE messages ADD COLUMN conversation_id text, ADD COLUMN pricing jsonb;

CREATE TABLE status_backlog (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  wamid text NOT NULL,
  status jsonb NOT NULL,
  dedupe_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, dedupe_key)
);
CREATE INDEX status_backlog_wamid ON status_backlog (wamid);

GRANT SELECT, INSERT, UPDATE, DELETE ON customer_windows, status_backlog TO sandesh_app;

SELECT sandesh_protect_tenant_table('customer_windows'), sandesh_protect_tenant_table('status_backlog');
