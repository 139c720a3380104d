-- Contact imports answer 202 once the upload is kept, and run in the background: the
-- body is staged as it streams in (raw chunks, never the whole file in memory), then a
-- queue job parses it from a checkpoint. The checkpoint (a byte offset at a record
-- boundary, the lines before it) moves in the same transaction as the rows it covers,
-- so a crashed or duplicated run resumes without counting or writing anything twice.
ALTER TABLE contact_imports DROP CONSTRAINT contact_imports_status_check;
ALTER TABLE contact_imports ADD CONSTRAINT contact_imports_status_check
  CHECK (status IN ('receiving', 'queued', 'running', 'completed', 'failed'));
ALTER TABLE contact_imports
  ADD COLUMN header text[],
  ADD COLUMN received_at timestamptz,
  ADD COLUMN bytes_total bigint,
  ADD COLUMN bytes_done bigint NOT NULL DEFAULT 0,
  ADD COLUMN lines_done integer NOT NULL DEFAULT 0,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE INDEX contact_imports_unfinished ON contact_imports (updated_at) WHERE status IN ('receiving', 'queued', 'running');

CREATE TABLE contact_import_chunks (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  import_id uuid NOT NULL,
  seq integer NOT NULL CHECK (seq >= 0),
  start_byte bigint NOT NULL CHECK (start_byte >= 0),
  data bytea NOT NULL,
  PRIMARY KEY (import_id, seq),
  FOREIGN KEY (workspace_id, import_id) REFERENCES contact_imports (workspace_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, DELETE ON contact_import_chunks TO sandesh_app;
SELECT sandesh_protect_tenant_table('contact_import_chunks'::regclass);

-- The sweep's look-up across workspaces: imports whose job was lost (kept, but no run has
-- moved them for a while) and uploads that never finished (the process died mid-body).
CREATE FUNCTION sandesh_stalled_imports(p_stalled_seconds integer, p_limit integer)
RETURNS TABLE (import_id uuid, workspace_id uuid, status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, workspace_id, status FROM contact_imports
  WHERE (status IN ('queued', 'running') AND updated_at < now() - make_interval(secs => greatest(p_stalled_seconds, 5)))
     OR (status = 'receiving' AND updated_at < now() - interval '1 hour')
  ORDER BY updated_at
  LIMIT least(greatest(p_limit, 1), 1000)
$$;
REVOKE ALL ON FUNCTION sandesh_stalled_imports(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_stalled_imports(integer, integer) TO sandesh_app;
