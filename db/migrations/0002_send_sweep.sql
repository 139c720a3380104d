-- The sweep: messages committed as `queued` whose enqueue never happened (the process
-- stopped between the two). Cross-tenant by nature, so a narrow SECURITY DEFINER
-- function: ids only, old rows only, bounded.
CREATE FUNCTION sandesh_stuck_messages(p_older_than_seconds integer, p_limit integer)
RETURNS TABLE (message_id uuid, workspace_id uuid, whatsapp_number_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, workspace_id, whatsapp_number_id FROM messages
  WHERE status = 'queued' AND direction = 'outbound'
    AND created_at < now() - make_interval(secs => greatest(p_older_than_seconds, 30))
  ORDER BY created_at
  LIMIT least(greatest(p_limit, 1), 1000)
$$;
REVOKE ALL ON FUNCTION sandesh_stuck_messages(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_stuck_messages(integer, integer) TO sandesh_app;

CREATE INDEX messages_queued ON messages (created_at) WHERE status = 'queued';
