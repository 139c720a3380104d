-- The backlog sweep: statuses Meta sent before the send job recorded their wamid wait in
-- status_backlog, and the send job applies them when it records it. A status that missed
-- that moment (a process stopped between the two, or an older release's race) would wait
-- for ever; the sweep applies any whose wamid a message now carries. Cross-tenant by
-- nature, so a narrow SECURITY DEFINER function: ids only, old rows only, bounded.
CREATE FUNCTION sandesh_stranded_statuses(p_older_than_seconds integer, p_limit integer)
RETURNS TABLE (workspace_id uuid, wamid text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT DISTINCT b.workspace_id, b.wamid FROM status_backlog b
  WHERE b.created_at < now() - make_interval(secs => greatest(p_older_than_seconds, 30))
    AND EXISTS (SELECT 1 FROM messages m WHERE m.workspace_id = b.workspace_id AND m.wamid = b.wamid)
  LIMIT least(greatest(p_limit, 1), 1000)
$$;
REVOKE ALL ON FUNCTION sandesh_stranded_statuses(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_stranded_statuses(integer, integer) TO sandesh_app;
