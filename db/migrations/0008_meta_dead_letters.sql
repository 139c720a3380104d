-- Nothing Meta sends is lost: an item of a signed webhook that cannot be applied (a
-- value the database cannot store, a shape we do not understand, a number no workspace
-- owns, a WABA that is not the number's) is kept here instead of failing the whole
-- delivery. A row names its workspace when the number is known and the WABA matches;
-- otherwise workspace_id is NULL and only the operator (the owner role) can read it:
-- the tenant policy never matches NULL, so no workspace sees another's, or an
-- unattributable, item.

CREATE TABLE meta_dead_letters (
  id uuid PRIMARY KEY,
  workspace_id uuid REFERENCES workspaces(id) ON DELETE CASCADE,
  phone_number_id text CHECK (length(phone_number_id) <= 64),
  waba_id text CHECK (length(waba_id) <= 64),
  kind text NOT NULL CHECK (kind IN ('delivery', 'entry', 'change', 'status', 'message', 'contact')),
  reason text NOT NULL CHECK (length(reason) <= 64),
  problems jsonb NOT NULL DEFAULT '[]',
  -- The item as JSON text (strings escaped, so NUL and lone surrogates are storable), bounded.
  item text NOT NULL CHECK (length(item) <= 16384),
  truncated boolean NOT NULL DEFAULT false,
  dedupe_key text NOT NULL CHECK (length(dedupe_key) <= 128),
  received_at timestamptz NOT NULL DEFAULT now(),
  -- Meta's redelivery of the same item records nothing new, attributed or not.
  CONSTRAINT meta_dead_letters_dedupe UNIQUE NULLS NOT DISTINCT (workspace_id, dedupe_key)
);
CREATE INDEX meta_dead_letters_workspace ON meta_dead_letters (workspace_id, id DESC);

GRANT SELECT, INSERT ON meta_dead_letters TO sandesh_app;
SELECT sandesh_protect_tenant_table('meta_dead_letters');

-- The application cannot insert a NULL-workspace row under the tenant policy; this
-- narrow function can, and only such rows. It returns nothing readable.
CREATE FUNCTION sandesh_record_unrouted(p_rows jsonb)
RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH ins AS (
    INSERT INTO meta_dead_letters (id, workspace_id, phone_number_id, waba_id, kind, reason, problems, item, truncated, dedupe_key)
    SELECT r.id, NULL, r.phone_number_id, r.waba_id, r.kind, r.reason, coalesce(r.problems, '[]'), r.item, coalesce(r.truncated, false), r.dedupe_key
    FROM jsonb_to_recordset(p_rows) AS r(id uuid, phone_number_id text, waba_id text, kind text, reason text, problems jsonb, item text, truncated boolean, dedupe_key text)
    LIMIT 50000
    ON CONFLICT (workspace_id, dedupe_key) DO NOTHING
    RETURNING 1
  ) SELECT count(*)::integer FROM ins
$$;

-- The number's WABA joins the look-up: a webhook entry must name the WABA the number belongs to.
DROP FUNCTION sandesh_number_lookup(text);
CREATE FUNCTION sandesh_number_lookup(p_phone_number_id text)
RETURNS TABLE (workspace_id uuid, number_id uuid, waba_id text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT workspace_id, id, waba_id FROM whatsapp_numbers WHERE phone_number_id = p_phone_number_id
$$;

-- Statuses for a wamid no message carries after 7 days will never match: Meta reports a
-- message within seconds of the send, and the send job records its wamid at once.
-- Cross-tenant, so SECURITY DEFINER: it deletes old rows only, a bounded number per call.
CREATE FUNCTION sandesh_expire_status_backlog(p_older_than_seconds integer, p_limit integer)
RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH gone AS (
    DELETE FROM status_backlog WHERE id IN (
      SELECT id FROM status_backlog
      WHERE created_at < now() - make_interval(secs => greatest(p_older_than_seconds, 86400))
      LIMIT least(greatest(p_limit, 1), 10000))
    RETURNING 1
  ) SELECT count(*)::integer FROM gone
$$;
CREATE INDEX status_backlog_created ON status_backlog (created_at);

REVOKE ALL ON FUNCTION sandesh_record_unrouted(jsonb), sandesh_number_lookup(text), sandesh_expire_status_backlog(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_record_unrouted(jsonb), sandesh_number_lookup(text), sandesh_expire_status_backlog(integer, integer) TO sandesh_app;
