-- A paused broadcast keeps writing its audience's rows (without sending); a run that
-- died while paused (a killed process, a lost job) left it half written until resume.
-- The sweep now also revives a paused broadcast whose audience is not done and whose row
-- has not moved for a while: the run writes the rest, still sending nothing.
CREATE OR REPLACE FUNCTION sandesh_due_broadcasts(p_stalled_seconds integer, p_limit integer)
RETURNS TABLE (broadcast_id uuid, workspace_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, workspace_id FROM broadcasts
  WHERE (status = 'scheduled' AND send_at <= now())
     OR (status = 'running' AND updated_at < now() - make_interval(secs => greatest(p_stalled_seconds, 5)))
     OR (status = 'paused' AND NOT audience_done AND send_at <= now()
         AND updated_at < now() - make_interval(secs => greatest(p_stalled_seconds, 5)))
  ORDER BY send_at
  LIMIT least(greatest(p_limit, 1), 1000)
$$;
REVOKE ALL ON FUNCTION sandesh_due_broadcasts(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_due_broadcasts(integer, integer) TO sandesh_app;

-- The sweep's look for them.
CREATE INDEX broadcasts_paused_paging ON broadcasts (updated_at) WHERE status = 'paused' AND NOT audience_done;
