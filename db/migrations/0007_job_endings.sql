-- Every accepted message ends sent/read or failed with a reason (lib/jobs/lease.ts).
--
-- claimed_until: a send job's claim (queued|retrying → sending) holds a lease until then;
-- a message handed back to `retrying` is due again by then. The sweep settles any message
-- whose time has passed: `sending` → failed, outcome unknown (never sent again); `retrying`
-- → a fresh job, or failed once its attempts are spent.
-- error_reason: why a message failed, one stable word (README, "Why a message failed").
ALTER TABLE messages ADD COLUMN claimed_until timestamptz;
ALTER TABLE messages ADD COLUMN error_reason text;
CREATE INDEX messages_in_flight ON messages (claimed_until) WHERE status IN ('sending', 'retrying');

-- A status for a wamid no message carries, whose biz_opaque_callback_data names a Sandesh
-- message: how Meta's own statuses settle a send whose answer was lost.
ALTER TABLE status_backlog ADD COLUMN message_id uuid;
CREATE INDEX status_backlog_message ON status_backlog (workspace_id, message_id) WHERE message_id IS NOT NULL;

-- The lease sweep: cross-tenant by nature, so a narrow SECURITY DEFINER function:
-- ids only, lapsed rows only, bounded. Rows from before this migration have no
-- claimed_until; their last update plus the lease stands in for it.
CREATE FUNCTION sandesh_lapsed_messages(p_now timestamptz, p_lease_seconds integer, p_limit integer)
RETURNS TABLE (message_id uuid, workspace_id uuid, whatsapp_number_id uuid, status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, workspace_id, whatsapp_number_id, status FROM messages
  WHERE status IN ('sending', 'retrying') AND direction = 'outbound'
    AND coalesce(claimed_until, updated_at + make_interval(secs => greatest(p_lease_seconds, 30))) < p_now
  ORDER BY claimed_until NULLS FIRST
  LIMIT least(greatest(p_limit, 1), 1000)
$$;
REVOKE ALL ON FUNCTION sandesh_lapsed_messages(timestamptz, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_lapsed_messages(timestamptz, integer, integer) TO sandesh_app;

-- One row per vault key version: HMAC-SHA256 of a fixed constant under the key derived
-- from that version's MASTER_KEK (lib/vault/key-check.ts), never the key. A process whose
-- MASTER_KEK derives another value refuses to serve. Not tenant data: no workspace_id.
-- The app may add the check of a version used for the first time, never change one.
CREATE TABLE vault_key_checks (
  key_version integer PRIMARY KEY CHECK (key_version >= 1),
  key_check text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON vault_key_checks TO sandesh_app;

-- Statuses waiting in the backlog that name a message failed as outcome unknown: the
-- send job and the lease sweep apply them as they settle it; this finds any that missed
-- that moment (a status committed while the message was being settled). Same shape.
CREATE FUNCTION sandesh_unsettled_tags(p_older_than_seconds integer, p_limit integer)
RETURNS TABLE (workspace_id uuid, message_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT DISTINCT b.workspace_id, b.message_id FROM status_backlog b
  JOIN messages m ON m.workspace_id = b.workspace_id AND m.id = b.message_id
  WHERE b.message_id IS NOT NULL AND m.wamid IS NULL AND m.status = 'failed' AND m.error_reason = 'outcome_unknown'
    AND b.created_at < now() - make_interval(secs => greatest(p_older_than_seconds, 0))
  LIMIT least(greatest(p_limit, 1), 1000)
$$;
REVOKE ALL ON FUNCTION sandesh_unsettled_tags(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_unsettled_tags(integer, integer) TO sandesh_app;
