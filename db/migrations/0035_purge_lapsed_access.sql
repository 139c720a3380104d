-- Sessions and invitations that can no longer let anyone in are deleted by the scheduled
-- sweep (lib/retention/lapsed-access.ts; the Node interval and the Worker's cron), so the
-- tables (and the addresses and browsers a session row keeps) do not grow forever.
-- A session: revoked, past its absolute expiry (expires_at), or idle past the idle expiry
-- (12 hours, lib/sessions/auth.ts IDLE_MS; lookupSession refuses it already). An
-- invitation: accepted, revoked or expired more than 30 days ago (until then the members
-- page shows how it ended). Cross-person and cross-tenant by nature, so a narrow SECURITY
-- DEFINER function: the database's clock, the rules above, and only a batch size as input.
CREATE FUNCTION sandesh_purge_lapsed_access(p_limit integer)
RETURNS TABLE (sessions_deleted integer, invitations_deleted integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH dead_sessions AS (
    SELECT id FROM sessions
    WHERE revoked_at IS NOT NULL OR expires_at <= now() OR last_seen_at <= now() - interval '12 hours'
    LIMIT least(greatest(p_limit, 1), 5000) FOR UPDATE SKIP LOCKED
  ), gone_sessions AS (
    DELETE FROM sessions s USING dead_sessions d WHERE s.id = d.id RETURNING 1
  ), dead_invitations AS (
    SELECT id FROM invitations
    WHERE coalesce(accepted_at, revoked_at, expires_at) <= now() - interval '30 days'
    LIMIT least(greatest(p_limit, 1), 5000) FOR UPDATE SKIP LOCKED
  ), gone_invitations AS (
    DELETE FROM invitations i USING dead_invitations d WHERE i.id = d.id RETURNING 1
  )
  SELECT (SELECT count(*)::int FROM gone_sessions), (SELECT count(*)::int FROM gone_invitations)
$$;
REVOKE ALL ON FUNCTION sandesh_purge_lapsed_access(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_purge_lapsed_access(integer) TO sandesh_app;
