-- Support access (lib/support): an operator asks, with a reason, to read one workspace
-- for a few hours; an owner approves (or denies) in the dashboard; the grant ends by
-- itself at expires_at, by the database's clock, or earlier when revoked. The operator
-- holds a random token (`sgr_…`); only its SHA-256 is kept here.
CREATE TABLE support_grants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  -- Who asks (an email, a name): free text, shown to the owner who decides.
  operator text NOT NULL CHECK (length(operator) BETWEEN 1 AND 200),
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  -- What was asked for, and what the owner granted (never more).
  hours integer NOT NULL DEFAULT 4 CHECK (hours BETWEEN 1 AND 72),
  approved_hours integer CHECK (approved_hours BETWEEN 1 AND 72 AND approved_hours <= hours),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied', 'revoked')),
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  requested_at timestamptz NOT NULL DEFAULT now(),
  approved_by uuid,
  approved_at timestamptz,
  expires_at timestamptz,
  denied_by uuid,
  denied_at timestamptz,
  -- A member's user id, or the operator's name when the CLI withdrew the grant.
  revoked_by text,
  revoked_at timestamptz,
  CHECK (status <> 'approved' OR (approved_at IS NOT NULL AND expires_at IS NOT NULL AND approved_hours IS NOT NULL)),
  CHECK (status <> 'denied' OR denied_at IS NOT NULL),
  CHECK (status <> 'revoked' OR revoked_at IS NOT NULL)
);
CREATE INDEX support_grants_workspace ON support_grants (workspace_id, requested_at DESC);

GRANT SELECT, INSERT, UPDATE ON support_grants TO sandesh_app;
SELECT sandesh_protect_tenant_table('support_grants'::regclass);

-- Before the tenant is known (the token is the only thing a request carries): one hash →
-- its grant, and whether it is active now by the database's clock. Narrow by design: one
-- input, no reason or token, nothing listable. Each request asks again (no cache), so a
-- revoke or an expiry is seen on the very next request.
CREATE FUNCTION sandesh_support_grant_lookup(p_token_hash text)
RETURNS TABLE (grant_id uuid, workspace_id uuid, operator text, state text, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, workspace_id, operator,
    CASE WHEN status = 'approved' AND expires_at <= now() THEN 'expired'
         WHEN status = 'approved' THEN 'active'
         ELSE status END,
    expires_at
  FROM support_grants WHERE token_hash = p_token_hash
$$;
REVOKE ALL ON FUNCTION sandesh_support_grant_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_support_grant_lookup(text) TO sandesh_app;
