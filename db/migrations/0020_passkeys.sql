-- Passkeys: a person's WebAuthn credentials (lib/passkeys). Several per person, each
-- named by its owner. Person-scoped like sessions: RLS on app.user_id (0019).
CREATE TABLE passkeys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- The credential id as the authenticator made it, base64url (WebAuthn: at most 1023 bytes).
  credential_id text NOT NULL UNIQUE CHECK (credential_id ~ '^[A-Za-z0-9_-]+$' AND length(credential_id) <= 1364),
  -- The COSE public key the authenticator registered; signatures are checked against it.
  public_key bytea NOT NULL CHECK (length(public_key) BETWEEN 16 AND 4096),
  -- user.id given to the authenticator, base64url: random per person, never the email
  -- or the row id, and returned by discoverable credentials at sign-in.
  user_handle text NOT NULL CHECK (user_handle ~ '^[A-Za-z0-9_-]{16,86}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  -- The signature counter last reported (0 for authenticators that do not count).
  sign_count bigint NOT NULL DEFAULT 0 CHECK (sign_count BETWEEN 0 AND 4294967295),
  transports jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(transports) = 'array'),
  aaguid uuid NOT NULL,
  -- Backup eligible (BE) and backup state (BS) flags, as last reported.
  backup_eligible boolean NOT NULL,
  backed_up boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON passkeys TO sandesh_app;
SELECT sandesh_protect_person_table('passkeys'::regclass, 'user_id');

-- Sign-in, before the person is known: a credential id → whose it is. Narrow by design:
-- one input, no key material, nothing listable. The row itself is then read as that person.
CREATE FUNCTION sandesh_passkey_lookup(p_credential_id text)
RETURNS TABLE (passkey_id uuid, user_id uuid, user_disabled boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT p.id, p.user_id, u.disabled_at IS NOT NULL
  FROM passkeys p JOIN users u ON u.id = p.user_id
  WHERE p.credential_id = p_credential_id
$$;
REVOKE ALL ON FUNCTION sandesh_passkey_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_passkey_lookup(text) TO sandesh_app;
