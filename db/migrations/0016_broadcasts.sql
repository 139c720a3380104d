-- Broadcasts: one approved template to an audience of contacts, at a time. The run
-- pages the audience by contact id (keyset) and stores where it is on the broadcast
-- row in the transaction that writes each page's messages, so a killed run resumes
-- there; (workspace_id, broadcast_id, contact_id) is unique, so nothing is written twice.

CREATE TABLE broadcasts (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  whatsapp_number_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 256),
  -- {name, language, components}: placeholders ({{contact.name}} …) filled per recipient.
  template jsonb NOT NULL,
  category text NOT NULL DEFAULT 'MARKETING' CHECK (category IN ('MARKETING', 'UTILITY', 'AUTHENTICATION')),
  -- {tag} | {contact_ids} | {all: true}
  audience jsonb NOT NULL,
  status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'running', 'paused', 'completed', 'canceled')),
  send_at timestamptz NOT NULL DEFAULT now(),
  -- The run's progress: the last contact id paged, and whether the audience is exhausted.
  cursor_id uuid,
  audience_done boolean NOT NULL DEFAULT false,
  targeted integer NOT NULL DEFAULT 0,
  -- {opted_out, no_marketing_opt_in, invalid_number, missing_value}: counted as paged.
  skipped jsonb NOT NULL DEFAULT '{}',
  -- Unique recipients the number's messaging tier still allows in this window (null: unlimited).
  tier_remaining integer,
  -- Recipients beyond the tier: queued with a not-before in the next window.
  tier_deferred integer NOT NULL DEFAULT 0,
  -- Set by resume: the run hands the broadcast's queued messages to the queue again.
  requeue boolean NOT NULL DEFAULT false,
  resumes integer NOT NULL DEFAULT 0,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, id),
  FOREIGN KEY (workspace_id, whatsapp_number_id) REFERENCES whatsapp_numbers (workspace_id, id)
);
CREATE INDEX broadcasts_list ON broadcasts (workspace_id, id DESC);
-- The sweep: broadcasts due to start, or running without progress.
CREATE INDEX broadcasts_active ON broadcasts (status, send_at) WHERE status IN ('scheduled', 'running');

-- The workspace's prices: category × recipient country calling code (longest prefix wins).
CREATE TABLE rate_card_entries (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  category text NOT NULL CHECK (category IN ('MARKETING', 'UTILITY', 'AUTHENTICATION', 'SERVICE')),
  country_code text NOT NULL CHECK (country_code ~ '^[1-9][0-9]{0,3}$'),
  -- Millionths of the currency unit: exact, and no float in money.
  price_micros bigint NOT NULL CHECK (price_micros >= 0),
  currency text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  PRIMARY KEY (workspace_id, category, country_code)
);

-- not_before: a broadcast's recipient beyond the messaging tier waits for the next window;
-- a resumed broadcast queues it again with the same time.
ALTER TABLE messages ADD COLUMN broadcast_id uuid, ADD COLUMN not_before timestamptz,
  ADD CONSTRAINT messages_broadcast_id_fkey FOREIGN KEY (workspace_id, broadcast_id) REFERENCES broadcasts (workspace_id, id);
-- One message per recipient per broadcast: a resumed, duplicated or restarted run writes nothing twice.
-- Also the index the live counts and the recipients report read by.
CREATE UNIQUE INDEX messages_broadcast_contact ON messages (workspace_id, broadcast_id, contact_id) WHERE broadcast_id IS NOT NULL;
CREATE INDEX messages_broadcast_status ON messages (broadcast_id, status, id) WHERE broadcast_id IS NOT NULL;

-- A canceled broadcast leaves its unsent messages canceled (terminal, never sent).
ALTER TABLE messages DROP CONSTRAINT messages_status_check,
  ADD CONSTRAINT messages_status_check CHECK (status IN ('queued', 'sending', 'retrying', 'sent', 'delivered', 'read', 'failed', 'received', 'canceled'));

GRANT SELECT, INSERT, UPDATE ON broadcasts TO sandesh_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_card_entries TO sandesh_app;
SELECT sandesh_protect_tenant_table(t::regclass) FROM unnest(ARRAY['broadcasts', 'rate_card_entries']) AS t;

-- The stuck-message sweep leaves a paused or canceled broadcast's queued messages alone:
-- resume hands them to the queue itself.
CREATE OR REPLACE FUNCTION sandesh_stuck_messages(p_older_than_seconds integer, p_limit integer)
RETURNS TABLE (message_id uuid, workspace_id uuid, whatsapp_number_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT m.id, m.workspace_id, m.whatsapp_number_id FROM messages m
  WHERE m.status = 'queued' AND m.direction = 'outbound'
    AND m.created_at < now() - make_interval(secs => greatest(p_older_than_seconds, 30))
    AND (m.not_before IS NULL OR m.not_before <= now())
    AND (m.broadcast_id IS NULL OR EXISTS (SELECT 1 FROM broadcasts b WHERE b.id = m.broadcast_id AND b.status = 'running'))
  ORDER BY m.created_at
  LIMIT least(greatest(p_limit, 1), 1000)
$$;

-- Before the tenant is known: the broadcasts the sweep must start (due) or revive
-- (running, no progress for a while). Ids only.
CREATE FUNCTION sandesh_due_broadcasts(p_stalled_seconds integer, p_limit integer)
RETURNS TABLE (broadcast_id uuid, workspace_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, workspace_id FROM broadcasts
  WHERE (status = 'scheduled' AND send_at <= now())
     OR (status = 'running' AND updated_at < now() - make_interval(secs => greatest(p_stalled_seconds, 5)))
  ORDER BY send_at
  LIMIT least(greatest(p_limit, 1), 1000)
$$;
REVOKE ALL ON FUNCTION sandesh_due_broadcasts(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_due_broadcasts(integer, integer) TO sandesh_app;
