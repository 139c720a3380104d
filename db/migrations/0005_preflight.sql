-- Pre-flight for POST /v1/messages in one round trip, without a transaction: the
-- customer-service window and the opt-out of one contact, for the workspace the API
-- key already proved. Narrow: two timestamps for one (workspace, number, contact).
CREATE FUNCTION sandesh_preflight(p_workspace_id uuid, p_number_id uuid, p_wa_id text)
RETURNS TABLE (window_at timestamptz, opted_out_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT (SELECT last_inbound_at FROM customer_windows
          WHERE workspace_id = p_workspace_id AND whatsapp_number_id = p_number_id AND wa_id = p_wa_id),
         (SELECT opted_out_at FROM contacts WHERE workspace_id = p_workspace_id AND wa_id = p_wa_id)
$$;
REVOKE ALL ON FUNCTION sandesh_preflight(uuid, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_preflight(uuid, uuid, text) TO sandesh_app;
