-- People: users (global: one person may belong to several workspaces), their
-- memberships and invitations (tenant tables), and server-side sessions (global).
-- No passwords anywhere: a person signs in with a passkey or Google; a session is a
-- random token in a cookie, of which only the SHA-256 is stored here.

-- Person-scoped tables are global (no workspace_id). The application role sees the
-- rows of one person: the one named by the transaction-local `app.user_id`
-- (db/tenant.ts withUser); with the setting unset it sees none. Later person tables
-- (passkeys, second factors, identities) call this function too.
CREATE FUNCTION sandesh_protect_person_table(t regclass, col name) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
  EXECUTE format($p$CREATE POLICY person_isolation ON %s TO sandesh_app
    USING (%2$I = nullif(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (%2$I = nullif(current_setting('app.user_id', true), '')::uuid)$p$, t, col);
  EXECUTE format('CREATE POLICY owner_maintenance ON %s TO %I USING (true) WITH CHECK (true)', t, current_user);
END $$;
REVOKE ALL ON FUNCTION sandesh_protect_person_table(regclass, name) FROM PUBLIC;

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Stored lower-cased and trimmed (lib/people/email.ts): one person, one row.
  email text NOT NULL UNIQUE CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
  display_name text CHECK (length(display_name) <= 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
);

CREATE TABLE memberships (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'viewer')),
  -- SHA-256 hex of the link's token; the token itself is never stored.
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  -- NULL: an operator at the CLI.
  invited_by uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users(id) ON DELETE SET NULL,
  revoked_at timestamptz
);
CREATE INDEX invitations_workspace ON invitations (workspace_id, created_at DESC);

CREATE TABLE sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- SHA-256 hex of the cookie's 32-byte token; the token itself is never stored.
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  method text NOT NULL CHECK (method IN ('passkey', 'google')),
  user_verified boolean NOT NULL DEFAULT false,
  second_factor_at timestamptz,
  -- The workspace the person is working in (not a tenant column: a session is the person's).
  active_workspace_id uuid REFERENCES workspaces(id) ON DELETE SET NULL,
  ip text CHECK (length(ip) <= 64),
  user_agent text CHECK (length(user_agent) <= 512),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  -- The absolute expiry (created_at + 7 days); the idle one is last_seen_at + 12 hours.
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text CHECK (revoked_reason IN ('sign_out', 'revoked', 'revoked_others', 'step_up'))
);
CREATE INDEX sessions_user ON sessions (user_id, created_at DESC);

GRANT SELECT, INSERT, UPDATE ON users, sessions TO sandesh_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO sandesh_app;
GRANT SELECT, INSERT, UPDATE ON invitations TO sandesh_app;

SELECT sandesh_protect_tenant_table(t::regclass) FROM unnest(ARRAY['memberships', 'invitations']) AS t;
SELECT sandesh_protect_person_table('users'::regclass, 'id');
SELECT sandesh_protect_person_table('sessions'::regclass, 'user_id');
-- Within a workspace, its members can see each other's user rows (a members page shows
-- emails); only their own row can they change. The memberships sub-query is itself
-- under RLS: it answers only for the workspace named by app.workspace_id.
CREATE POLICY workspace_members_visible ON users FOR SELECT TO sandesh_app
  USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id));

-- Look-ups before the person is known. Narrow by design: one input, the few columns
-- the caller needs, nothing listable.

-- A session cookie's hash → the session, its person, and the person's role in the
-- session's workspace (NULL when no longer a member).
CREATE FUNCTION sandesh_session_lookup(p_token_hash text)
RETURNS TABLE (session_id uuid, user_id uuid, email text, workspace_id uuid, role text, method text,
  user_verified boolean, second_factor_at timestamptz, created_at timestamptz, last_seen_at timestamptz,
  expires_at timestamptz, revoked boolean, user_disabled boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT s.id, s.user_id, u.email, m.workspace_id, m.role, s.method, s.user_verified, s.second_factor_at,
    s.created_at, s.last_seen_at, s.expires_at, s.revoked_at IS NOT NULL, u.disabled_at IS NOT NULL
  FROM sessions s JOIN users u ON u.id = s.user_id
  LEFT JOIN memberships m ON m.workspace_id = s.active_workspace_id AND m.user_id = s.user_id
  WHERE s.token_hash = p_token_hash
$$;

-- An email → the person's id (a sign-in or an invitation for someone who may exist).
CREATE FUNCTION sandesh_user_by_email(p_email text)
RETURNS TABLE (user_id uuid, disabled boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, disabled_at IS NOT NULL FROM users WHERE email = lower(btrim(p_email))
$$;

-- An invitation link's hash → the invitation and its workspace's name.
CREATE FUNCTION sandesh_invitation_lookup(p_token_hash text)
RETURNS TABLE (invitation_id uuid, workspace_id uuid, workspace_name text, email text, role text,
  expires_at timestamptz, accepted boolean, revoked boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT i.id, i.workspace_id, w.name, i.email, i.role, i.expires_at, i.accepted_at IS NOT NULL, i.revoked_at IS NOT NULL
  FROM invitations i JOIN workspaces w ON w.id = i.workspace_id
  WHERE i.token_hash = p_token_hash
$$;

-- A person's workspaces (memberships are tenant rows; a person needs the list before
-- choosing one). Called only with the id of a person already signed in.
CREATE FUNCTION sandesh_user_workspaces(p_user_id uuid)
RETURNS TABLE (workspace_id uuid, workspace_name text, role text, joined_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT m.workspace_id, w.name, m.role, m.created_at
  FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
  WHERE m.user_id = p_user_id
  ORDER BY m.created_at, m.workspace_id
$$;

REVOKE ALL ON FUNCTION sandesh_session_lookup(text), sandesh_user_by_email(text), sandesh_invitation_lookup(text), sandesh_user_workspaces(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_session_lookup(text), sandesh_user_by_email(text), sandesh_invitation_lookup(text), sandesh_user_workspaces(uuid) TO sandesh_app;
