-- Approved exports (issue 14): an export of more rows than the workspace's threshold waits
-- for an owner's approval; the file is produced after it by a queue job, kept sealed with
-- the tenant's vault key in chunks here (the Worker has no disk), and downloaded once, by
-- whoever asked, within 24 h of being ready. Content is deleted after the download or expiry.
ALTER TABLE workspaces ADD COLUMN export_approval_threshold integer NOT NULL DEFAULT 1000
  CHECK (export_approval_threshold BETWEEN 0 AND 100000000);

CREATE TABLE exports (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  subject text NOT NULL CHECK (subject IN ('contacts', 'messages')),
  format text NOT NULL DEFAULT 'csv' CHECK (format IN ('csv', 'jsonl')),
  filter jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL CHECK (status IN ('pending_approval', 'queued', 'producing', 'ready', 'downloaded', 'expired', 'denied', 'failed')),
  -- Counted when asked, against the threshold of that moment.
  row_count integer NOT NULL CHECK (row_count >= 0),
  threshold integer NOT NULL,
  -- Decided when asked: the file shows numbers as the requester saw them then.
  phones_masked boolean NOT NULL,
  requester_type text NOT NULL CHECK (requester_type IN ('user', 'api_key')),
  requester_id text NOT NULL,
  decided_by text,
  decided_at timestamptz,
  -- The production run that owns the chunks: a second run takes over and the first writes nothing more.
  run_id uuid,
  rows_written integer NOT NULL DEFAULT 0,
  bytes integer NOT NULL DEFAULT 0,
  error text,
  ready_at timestamptz,
  downloaded_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, id)
);
CREATE INDEX exports_newest ON exports (workspace_id, created_at DESC, id DESC);
CREATE INDEX exports_unsettled ON exports (updated_at) WHERE status IN ('queued', 'producing', 'ready', 'downloaded');
GRANT SELECT, INSERT, UPDATE ON exports TO sandesh_app;
SELECT sandesh_protect_tenant_table('exports'::regclass);

-- The produced file: each chunk a page of rows sealed AES-256-GCM (additional data names the
-- chunk, its export and its workspace), never plaintext.
CREATE TABLE export_chunks (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  export_id uuid NOT NULL,
  seq integer NOT NULL CHECK (seq >= 0),
  run_id uuid NOT NULL,
  data_ciphertext bytea NOT NULL,
  data_iv bytea NOT NULL,
  data_tag bytea NOT NULL,
  data_key_version integer NOT NULL,
  PRIMARY KEY (export_id, seq),
  FOREIGN KEY (workspace_id, export_id) REFERENCES exports (workspace_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, DELETE ON export_chunks TO sandesh_app;
SELECT sandesh_protect_tenant_table('export_chunks'::regclass);

-- The sweep's look-up across workspaces: files past their 24 h (or downloaded, still holding
-- chunks a broken-off download left), and approved exports whose job was lost.
CREATE FUNCTION sandesh_due_exports(p_stalled_seconds integer, p_limit integer)
RETURNS TABLE (export_id uuid, workspace_id uuid, status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, workspace_id, status FROM exports
  WHERE (status = 'ready' AND ready_at < now() - interval '24 hours')
     OR (status = 'downloaded' AND downloaded_at < now() - interval '10 minutes' AND EXISTS (SELECT 1 FROM export_chunks c WHERE c.export_id = exports.id))
     OR (status IN ('queued', 'producing') AND updated_at < now() - make_interval(secs => greatest(p_stalled_seconds, 5)))
  ORDER BY updated_at
  LIMIT least(greatest(p_limit, 1), 1000)
$$;
REVOKE ALL ON FUNCTION sandesh_due_exports(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_due_exports(integer, integer) TO sandesh_app;
