-- Audit chain: every workspace's audit rows form one hash chain. Row n stores seq = n (no
-- gaps), prev_hash = the hash of row n-1 (64 zeros for row 1) and hash = SHA-256 over a
-- canonical encoding of the row with prev_hash. Editing a row changes its hash; deleting
-- one leaves a gap in seq and a prev_hash that names nothing; moving one (a changed seq)
-- breaks both. `npm run admin -- audit verify` walks the chain as the owner role.
--
-- The chain is kept by a trigger, not by the application: whatever inserts an audit row
-- (recordAudit, a statement that writes one beside its change, the owner) gets it chained,
-- and a caller cannot choose its own seq or hash.

ALTER TABLE audit_log
  ADD COLUMN seq bigint,
  ADD COLUMN prev_hash text,
  ADD COLUMN hash text,
  -- The chain covers details through their digest (SHA-256 of the jsonb text), so that a
  -- data principal's erasure (sandesh_erase_number: wa_id replaced by its keyed hash) can
  -- change the details without breaking the chain: the row is then marked erased_at,
  -- and verify accepts a details digest mismatch only on such a row (and counts them).
  ADD COLUMN details_digest text,
  ADD COLUMN erased_at timestamptz,
  -- The digest of the details as the erasure left them: a later change is still an edit.
  ADD COLUMN erased_digest text;

-- The head of each workspace's chain: its last seq and hash. Appending locks this one row
-- (FOR UPDATE through the upsert) until the appending transaction ends, which serialises
-- appends per workspace only: two workspaces never wait for each other, and a transaction
-- takes at most one such lock per workspace it audits, so appends alone cannot deadlock.
-- The application may move the head (it appends); it still cannot change the rows, so a
-- moved head is seen by verify as a chain that does not end where its head says.
CREATE TABLE audit_chain_heads (
  workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  seq bigint NOT NULL CHECK (seq >= 0),
  hash text NOT NULL
);
GRANT SELECT, INSERT, UPDATE ON audit_chain_heads TO sandesh_app;
SELECT sandesh_protect_tenant_table('audit_chain_heads'::regclass);

-- The canonical encoding: the text of one jsonb array (jsonb prints keys sorted and with
-- fixed spacing, so equal values always print alike), the time in UTC to the microsecond.
-- docs/security.md spells it out for anyone checking the chain with other tools.
CREATE FUNCTION sandesh_audit_hash(
  p_workspace uuid, p_seq bigint, p_actor_type text, p_actor_id text, p_ip text, p_user_agent text,
  p_action text, p_object_type text, p_object_id text, p_details_digest text, p_created_at timestamptz, p_prev_hash text
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
  SELECT encode(sha256(convert_to(jsonb_build_array(
    p_workspace::text, p_seq, p_actor_type, p_actor_id, p_ip, p_user_agent,
    p_action, p_object_type, p_object_id, p_details_digest,
    to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), p_prev_hash
  )::text, 'UTF8')), 'hex')
$$;
GRANT EXECUTE ON FUNCTION sandesh_audit_hash(uuid, bigint, text, text, text, text, text, text, text, text, timestamptz, text) TO sandesh_app;

CREATE FUNCTION sandesh_audit_details_digest(p_details jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
  SELECT encode(sha256(convert_to(p_details::text, 'UTF8')), 'hex')
$$;
GRANT EXECUTE ON FUNCTION sandesh_audit_details_digest(jsonb) TO sandesh_app;

-- Runs as the inserting role, so row-level security applies to the head as to the row.
CREATE FUNCTION sandesh_audit_chain() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_seq bigint;
  v_prev text;
BEGIN
  -- Insert the first head or bump the existing one; either way the head row stays locked
  -- until this transaction ends. RETURNING gives the new seq and the previous hash.
  INSERT INTO audit_chain_heads AS h (workspace_id, seq, hash)
  VALUES (NEW.workspace_id, 1, repeat('0', 64))
  ON CONFLICT (workspace_id) DO UPDATE SET seq = h.seq + 1
  RETURNING h.seq, h.hash INTO v_seq, v_prev;
  NEW.seq := v_seq;
  NEW.prev_hash := v_prev;
  NEW.created_at := coalesce(NEW.created_at, now());
  NEW.details := coalesce(NEW.details, '{}'::jsonb);
  NEW.details_digest := sandesh_audit_details_digest(NEW.details);
  NEW.erased_at := NULL;
  NEW.erased_digest := NULL;
  NEW.hash := sandesh_audit_hash(NEW.workspace_id, NEW.seq, NEW.actor_type, NEW.actor_id, NEW.ip, NEW.user_agent,
    NEW.action, NEW.object_type, NEW.object_id, NEW.details_digest, NEW.created_at, NEW.prev_hash);
  UPDATE audit_chain_heads SET hash = NEW.hash WHERE workspace_id = NEW.workspace_id;
  RETURN NEW;
END $$;

-- Rows written before the chain existed are chained now, in the order they were written.
DO $$
DECLARE
  r record;
  v_ws uuid := NULL;
  v_seq bigint;
  v_prev text;
  v_hash text;
BEGIN
  FOR r IN SELECT * FROM audit_log ORDER BY workspace_id, id LOOP
    IF v_ws IS DISTINCT FROM r.workspace_id THEN
      IF v_ws IS NOT NULL THEN
        INSERT INTO audit_chain_heads (workspace_id, seq, hash) VALUES (v_ws, v_seq, v_prev);
      END IF;
      v_ws := r.workspace_id; v_seq := 0; v_prev := repeat('0', 64);
    END IF;
    v_seq := v_seq + 1;
    v_hash := sandesh_audit_hash(r.workspace_id, v_seq, r.actor_type, r.actor_id, r.ip, r.user_agent,
      r.action, r.object_type, r.object_id, sandesh_audit_details_digest(r.details), r.created_at, v_prev);
    UPDATE audit_log SET seq = v_seq, prev_hash = v_prev, hash = v_hash, details_digest = sandesh_audit_details_digest(r.details) WHERE id = r.id;
    v_prev := v_hash;
  END LOOP;
  IF v_ws IS NOT NULL THEN
    INSERT INTO audit_chain_heads (workspace_id, seq, hash) VALUES (v_ws, v_seq, v_prev);
  END IF;
END $$;

ALTER TABLE audit_log
  ALTER COLUMN seq SET NOT NULL,
  ALTER COLUMN prev_hash SET NOT NULL,
  ALTER COLUMN hash SET NOT NULL,
  ALTER COLUMN details_digest SET NOT NULL,
  ADD CONSTRAINT audit_log_seq UNIQUE (workspace_id, seq);

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION sandesh_audit_chain();
-- Also under session_replication_role = replica (which silences ordinary triggers): no
-- insert escapes the chain.
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_chain;

-- The one change to a written row the chain accepts: an erasure replacing `wa_id` in the
-- details by its keyed hash ('erased:…', sandesh_erase_number), nothing else changed. It
-- marks the row erased_at; any other update leaves the mark as it was, so an edit stays
-- an edit for verify. (The owner can still forge an erasure of wa_id: verify counts them.)
CREATE FUNCTION sandesh_audit_erasure_mark() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF (NEW.details - 'wa_id') = (OLD.details - 'wa_id') AND NEW.details->>'wa_id' LIKE 'erased:%'
     AND NEW.details IS DISTINCT FROM OLD.details
     AND (NEW.workspace_id, NEW.seq, NEW.prev_hash, NEW.hash, NEW.details_digest, NEW.actor_type, NEW.actor_id, NEW.ip, NEW.user_agent, NEW.action, NEW.object_type, NEW.object_id, NEW.created_at)
         IS NOT DISTINCT FROM (OLD.workspace_id, OLD.seq, OLD.prev_hash, OLD.hash, OLD.details_digest, OLD.actor_type, OLD.actor_id, OLD.ip, OLD.user_agent, OLD.action, OLD.object_type, OLD.object_id, OLD.created_at) THEN
    NEW.erased_at := coalesce(OLD.erased_at, now());
    NEW.erased_digest := sandesh_audit_details_digest(NEW.details);
  ELSE
    NEW.erased_at := OLD.erased_at;
    NEW.erased_digest := OLD.erased_digest;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_log_erasure BEFORE UPDATE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION sandesh_audit_erasure_mark();
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_erasure;

-- GET /v1/audit-log pages newest first by seq, filtered by actor, action or object.
CREATE INDEX audit_log_actor ON audit_log (workspace_id, actor_id, seq DESC);
CREATE INDEX audit_log_object ON audit_log (workspace_id, object_type, object_id, seq DESC);
