-- Records of data access (lib/access): every authenticated read of personal data (a
-- message, the contact list, a contact's data, a recipients report, an export or media
-- download, the audit log) leaves one row here, written before the answer leaves.
-- Append-only: the application role may insert and read, never change or delete (the
-- grants, and a trigger for good measure); only the retention sweep below deletes.
-- Not in the audit hash chain: reads are many and the chain serialises per workspace.
CREATE TABLE data_access (
  id bigint GENERATED ALWAYS AS IDENTITY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'support')),
  actor_id text NOT NULL CHECK (length(actor_id) BETWEEN 1 AND 200),
  ip text CHECK (length(ip) <= 100),
  method text NOT NULL CHECK (length(method) <= 10),
  route text NOT NULL CHECK (length(route) BETWEEN 1 AND 300),
  object_id text CHECK (length(object_id) <= 200),
  result_count integer CHECK (result_count >= 0),
  status integer NOT NULL CHECK (status BETWEEN 100 AND 599),
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX data_access_actor ON data_access (workspace_id, actor_id, id DESC);
CREATE INDEX data_access_at ON data_access (at);

GRANT SELECT, INSERT ON data_access TO sandesh_app;
SELECT sandesh_protect_tenant_table('data_access'::regclass);

CREATE FUNCTION sandesh_data_access_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'data_access is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER data_access_append_only BEFORE UPDATE ON data_access
  FOR EACH ROW EXECUTE FUNCTION sandesh_data_access_append_only();
ALTER TABLE data_access ENABLE ALWAYS TRIGGER data_access_append_only;

-- Retention: records older than the workspace keeps message content
-- (workspaces.message_retention_days), or 365 days where it sets none. Cross-tenant by
-- nature, so a narrow SECURITY DEFINER function: the database's clock and a batch size.
CREATE FUNCTION sandesh_purge_data_access(p_limit integer)
RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH doomed AS (
    SELECT d.workspace_id, d.id FROM data_access d JOIN workspaces w ON w.id = d.workspace_id
    WHERE d.at < now() - make_interval(days => coalesce(w.message_retention_days, 365))
    LIMIT least(greatest(p_limit, 1), 5000) FOR UPDATE OF d SKIP LOCKED
  ), gone AS (
    DELETE FROM data_access d USING doomed x WHERE d.workspace_id = x.workspace_id AND d.id = x.id RETURNING 1
  )
  SELECT count(*)::int FROM gone
$$;
REVOKE ALL ON FUNCTION sandesh_purge_data_access(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_purge_data_access(integer) TO sandesh_app;
