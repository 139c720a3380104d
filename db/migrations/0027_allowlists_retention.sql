-- Data principals: an erased contact keeps its row (and its consent history, as evidence)
-- under a keyed hash of its number; erased_at says it happened and makes erase idempotent.
ALTER TABLE contacts ADD COLUMN erased_at timestamptz;
-- A number, or (once erased, and only then) its keyed hash.
ALTER TABLE contacts DROP CONSTRAINT contacts_wa_id_check;
ALTER TABLE contacts ADD CONSTRAINT contacts_wa_id_check CHECK (
  CASE WHEN erased_at IS NULL THEN wa_id ~ '^[0-9]{5,20}$' ELSE wa_id ~ '^erased:v[0-9]+:[0-9a-f]{64}$' END);

-- Retention: message content older than this many days is purged (null: kept).
ALTER TABLE workspaces ADD COLUMN message_retention_days integer CHECK (message_retention_days BETWEEN 1 AND 36500);
-- When a message's content was purged or redacted: the row, its status and counts stay.
ALTER TABLE messages ADD COLUMN content_removed_at timestamptz;
CREATE INDEX messages_content_kept ON messages (workspace_id, created_at) WHERE content_removed_at IS NULL;

-- IP allow-list: CIDR ranges API keys and dashboard sessions may come from (empty: any).
ALTER TABLE workspaces ADD COLUMN ip_allowlist text[] NOT NULL DEFAULT '{}';

-- The application may only add consent evidence and read it, and may only add audit rows.
-- Erasing a person's number from them is this one narrow change: in the caller's own
-- tenant only, the number replaced by its keyed hash, nothing else touched.
CREATE FUNCTION sandesh_erase_number(p_contact_id uuid, p_number text, p_hash text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  ws uuid := nullif(current_setting('app.workspace_id', true), '')::uuid;
BEGIN
  IF ws IS NULL OR p_hash NOT LIKE 'erased:%' THEN
    RAISE EXCEPTION 'sandesh_erase_number needs a tenant and a keyed hash' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE contact_consent_events SET wa_id = p_hash,
    actor_id = CASE WHEN actor_id = p_number THEN p_hash ELSE actor_id END
  WHERE workspace_id = ws AND (contact_id = p_contact_id OR wa_id = p_number);
  UPDATE audit_log SET details = jsonb_set(details, '{wa_id}', to_jsonb(p_hash))
  WHERE workspace_id = ws AND details->>'wa_id' = p_number;
  -- Webhook items Meta sent that could not be applied hold the raw message, number and all.
  DELETE FROM meta_dead_letters WHERE workspace_id = ws AND strpos(item, p_number) > 0;
END $$;
REVOKE ALL ON FUNCTION sandesh_erase_number(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_erase_number(uuid, text, text) TO sandesh_app;

-- The retention sweep is cross-tenant by nature: which workspaces keep content for how long.
CREATE FUNCTION sandesh_retention_workspaces()
RETURNS TABLE (workspace_id uuid, days integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, message_retention_days FROM workspaces WHERE message_retention_days IS NOT NULL ORDER BY id
$$;
REVOKE ALL ON FUNCTION sandesh_retention_workspaces() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_retention_workspaces() TO sandesh_app;

-- The allow-list is checked before the tenant is known to the request (before the key's
-- workspace is entered, before a session's): the ranges of one workspace, nothing else.
CREATE FUNCTION sandesh_workspace_allowlist(p_workspace_id uuid)
RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT ip_allowlist FROM workspaces WHERE id = p_workspace_id
$$;
REVOKE ALL ON FUNCTION sandesh_workspace_allowlist(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_workspace_allowlist(uuid) TO sandesh_app;
