-- Second factor: a person's TOTP (secret sealed by lib/vault, bound to the user), their
-- recovery codes (hashes only, single use), and the workspace setting that requires a
-- second factor (or a user-verifying passkey) of every member.

ALTER TABLE workspaces ADD COLUMN require_mfa boolean NOT NULL DEFAULT false;

-- One TOTP per person. A row with confirmed_at null is an enrolment waiting for its
-- first valid code; only a confirmed row counts as a second factor.
CREATE TABLE user_totp (
  user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  secret_ciphertext bytea NOT NULL,
  secret_iv bytea NOT NULL CHECK (length(secret_iv) = 12),
  secret_tag bytea NOT NULL CHECK (length(secret_tag) = 16),
  secret_key_version integer NOT NULL,
  confirmed_at timestamptz,
  -- Replay guard: a code is accepted only for a time step after this one.
  last_used_step bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE recovery_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash text NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, code_hash)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON user_totp, recovery_codes TO sandesh_app;

-- Person-scoped (0019): the application role sees only the rows of the person named by
-- the transaction-local app.user_id (withUser).
SELECT sandesh_protect_person_table(t::regclass, 'user_id') FROM unnest(ARRAY['user_totp', 'recovery_codes']) AS t;
