-- Permissions: API keys carry scopes (the vocabulary of lib/permissions/vocabulary.ts),
-- and a webhook endpoint remembers whether its creator saw whole phone numbers, so its
-- payloads are masked as that creator's answers are.

-- NULL: every key made before scopes existed, or made without a scope list: full access,
-- as it always had. A scope list is fixed at creation (a key's identity never changes,
-- which lets processes cache it).
ALTER TABLE api_keys
  ADD COLUMN scopes text[] CHECK (scopes IS NULL OR (cardinality(scopes) BETWEEN 1 AND 64 AND array_position(scopes, NULL) IS NULL));

-- The look-up before the tenant is known now also says what the key may do (as JSON: the
-- application's connections do not fetch array types).
DROP FUNCTION sandesh_api_key_lookup(text);
CREATE FUNCTION sandesh_api_key_lookup(p_key_hash text)
RETURNS TABLE (key_id uuid, workspace_id uuid, revoked boolean, settings jsonb, scopes jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT k.id, k.workspace_id, k.revoked_at IS NOT NULL, w.settings, to_jsonb(k.scopes)
  FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
  WHERE k.key_hash = p_key_hash
$$;
REVOKE ALL ON FUNCTION sandesh_api_key_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_api_key_lookup(text) TO sandesh_app;

-- Who made the endpoint (an API key or a member), and whether its payloads carry masked
-- numbers: decided once, from the creator's permissions, at creation. Endpoints made
-- before this were made by full-access keys: unmasked.
ALTER TABLE webhook_endpoints
  ADD COLUMN created_by_type text CHECK (created_by_type IN ('api_key', 'user', 'operator')),
  ADD COLUMN created_by_id text CHECK (length(created_by_id) <= 64),
  ADD COLUMN masks_phones boolean NOT NULL DEFAULT false;

-- An agent or viewer granted whole phone numbers by an owner or admin (owners and admins
-- see them anyway). Granting is audited (member.phones_unmasked).
ALTER TABLE memberships ADD COLUMN phones_unmasked boolean NOT NULL DEFAULT false;
