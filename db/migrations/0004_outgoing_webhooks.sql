-- Outgoing webhooks: a workspace's own endpoints, their signing secrets (sealed by the
-- vault, several at once only during a rotation), one delivery per event per endpoint
-- (its id is the `webhook-id` header, stable across retries), and every attempt.

CREATE TABLE webhook_endpoints (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  url text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
  description text CHECK (length(description) <= 500),
  -- NULL: every event type, including ones added later.
  events text[],
  enabled boolean NOT NULL DEFAULT true,
  disabled_reason text,
  -- The first failure of the current unbroken run of failures; a success clears it.
  failing_since timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace_id, id DESC);

CREATE TABLE webhook_endpoint_secrets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  secret_ciphertext bytea NOT NULL,
  secret_iv bytea NOT NULL CHECK (length(secret_iv) = 12),
  secret_tag bytea NOT NULL CHECK (length(secret_tag) = 16),
  secret_key_version integer NOT NULL,
  -- NULL for the current secret; a rotated-out secret still signs until then.
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoint_secrets_endpoint ON webhook_endpoint_secrets (endpoint_id);

CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  event_type text NOT NULL,
  -- The exact bytes sent (and signed) on every attempt.
  body text NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'retrying', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  -- NULL until handed to the queue: what the sweep looks for.
  enqueued_at timestamptz,
  last_attempt_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_undispatched ON webhook_deliveries (workspace_id, created_at) WHERE enqueued_at IS NULL;

CREATE TABLE webhook_attempts (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  attempted_at timestamptz NOT NULL,
  status_code integer,
  duration_ms integer NOT NULL,
  response_body text,
  error text
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id DESC);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints, webhook_endpoint_secrets TO sandesh_app;
GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO sandesh_app;
-- Attempts are a record of what happened: written once, never changed by the app.
GRANT SELECT, INSERT ON webhook_attempts TO sandesh_app;

SELECT sandesh_protect_tenant_table(t::regclass)
FROM unnest(ARRAY['webhook_endpoints', 'webhook_endpoint_secrets', 'webhook_deliveries', 'webhook_attempts']) AS t;

-- The sweep: deliveries committed but never handed to the queue (the process stopped
-- between commit and enqueue). Cross-tenant by nature, so narrow: workspace ids only.
CREATE FUNCTION sandesh_undispatched_webhooks(p_older_than_seconds integer, p_limit integer)
RETURNS TABLE (workspace_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT DISTINCT workspace_id FROM webhook_deliveries
  WHERE enqueued_at IS NULL AND status = 'queued'
    AND created_at < now() - make_interval(secs => greatest(p_older_than_seconds, 30))
  LIMIT least(greatest(p_limit, 1), 1000)
$$;
REVOKE ALL ON FUNCTION sandesh_undispatched_webhooks(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_undispatched_webhooks(integer, integer) TO sandesh_app;
