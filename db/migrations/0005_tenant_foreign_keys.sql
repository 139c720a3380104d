-- Tenant-aware foreign keys: a row can only point at a row of its own workspace.
-- RLS already keeps every application read and write inside one tenant, but a
-- single-column key (messages.whatsapp_number_id → whatsapp_numbers.id) would accept
-- another tenant's id from the owner, a SECURITY DEFINER function or a bug. Every key
-- between two tables that both carry workspace_id becomes (workspace_id, x_id) →
-- parent (workspace_id, id), keeps its name and keeps its ON DELETE. Keys to
-- workspaces(id) stay as they are: workspaces has no workspace_id.
-- A database that already holds a cross-tenant link fails here with 23503 naming the
-- key and the row: that link is the bug this migration exists to catch.

DO $$
DECLARE
  k record;
BEGIN
  -- Parents: a composite key needs a unique (workspace_id, id) to point at.
  FOR k IN SELECT unnest(ARRAY['whatsapp_numbers', 'contacts', 'messages', 'webhook_endpoints', 'webhook_deliveries']) AS parent LOOP
    EXECUTE format('ALTER TABLE %1$I ADD CONSTRAINT %2$I UNIQUE (workspace_id, id)', k.parent, k.parent || '_workspace_id_id_key');
  END LOOP;

  -- Children. messages.contact_id is nullable: MATCH SIMPLE checks nothing while it is
  -- NULL, as before.
  FOR k IN SELECT * FROM (VALUES
    ('messages', 'whatsapp_number_id', 'whatsapp_numbers', 'NO ACTION'),
    ('messages', 'contact_id', 'contacts', 'NO ACTION'),
    ('message_events', 'message_id', 'messages', 'CASCADE'),
    ('customer_windows', 'whatsapp_number_id', 'whatsapp_numbers', 'CASCADE'),
    ('webhook_endpoint_secrets', 'endpoint_id', 'webhook_endpoints', 'CASCADE'),
    ('webhook_deliveries', 'endpoint_id', 'webhook_endpoints', 'CASCADE'),
    ('webhook_attempts', 'endpoint_id', 'webhook_endpoints', 'CASCADE'),
    ('webhook_attempts', 'delivery_id', 'webhook_deliveries', 'CASCADE')
  ) AS v (child, col, parent, on_delete) LOOP
    EXECUTE format(
      'ALTER TABLE %1$I DROP CONSTRAINT %2$I, ADD CONSTRAINT %2$I FOREIGN KEY (workspace_id, %3$I) REFERENCES %4$I (workspace_id, id) ON DELETE %5$s',
      k.child, k.child || '_' || k.col || '_fkey', k.col, k.parent, k.on_delete);
  END LOOP;
END $$;
