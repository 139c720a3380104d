-- A webhook endpoint chooses the shape of what it receives: Standard Webhooks (the
-- default) or Meta's own envelope, signed with X-Hub-Signature-256, for receivers built
-- on a Cloud API SDK's webhook handler.
ALTER TABLE webhook_endpoints
  ADD COLUMN format text NOT NULL DEFAULT 'standard' CHECK (format IN ('standard', 'meta'));
