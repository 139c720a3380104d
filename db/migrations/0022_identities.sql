-- Google sign-in (lib/oidc): a person's accounts at an OpenID Connect issuer. An
-- identity is the issuer's stable pair (iss, sub), never the email: an email can change
-- hands or be re-verified elsewhere, `sub` is the account. Person-scoped like passkeys:
-- RLS on app.user_id (0019).
CREATE TABLE user_identities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- The configured issuer, e.g. https://accounts.google.com (Google's legacy
  -- `accounts.google.com` is stored under the https form).
  issuer text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 255),
  subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
  -- The verified email the issuer last asserted: shown to the person, never used to sign in.
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  UNIQUE (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id, created_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON user_identities TO sandesh_app;
SELECT sandesh_protect_person_table('user_identities'::regclass, 'user_id');

-- Sign-in, before the person is known: (issuer, subject) → whose account it is. Narrow
-- by design: one pair in, ids out, nothing listable. The row is then read as that person.
CREATE FUNCTION sandesh_identity_lookup(p_issuer text, p_subject text)
RETURNS TABLE (identity_id uuid, user_id uuid, user_disabled boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT i.id, i.user_id, u.disabled_at IS NOT NULL
  FROM user_identities i JOIN users u ON u.id = i.user_id
  WHERE i.issuer = p_issuer AND i.subject = p_subject
$$;
REVOKE ALL ON FUNCTION sandesh_identity_lookup(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_identity_lookup(text, text) TO sandesh_app;
