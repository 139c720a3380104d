-- A wamid is base64 of a record that holds the customer's number. Consent given or withdrawn
-- by keyword keeps, as evidence, the wamid of the message that said it (details.wamid); the
-- app role cannot update consent history, so erase hands this function each of the contact's
-- wamids with its keyed digest (lib/principals/erase.ts) and the evidence keeps the digest.
DROP FUNCTION sandesh_erase_number(uuid, text, text);
CREATE FUNCTION sandesh_erase_number(p_contact_id uuid, p_number text, p_hash text, p_wamids jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  ws uuid := nullif(current_setting('app.workspace_id', true), '')::uuid;
BEGIN
  IF ws IS NULL OR p_hash NOT LIKE 'erased:%' THEN
    RAISE EXCEPTION 'sandesh_erase_number needs a tenant and a keyed hash' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE contact_consent_events e SET details = jsonb_set(e.details, '{wamid}', to_jsonb(p.d))
  FROM jsonb_to_recordset(coalesce(p_wamids, '[]'::jsonb)) AS p(w text, d text)
  WHERE e.workspace_id = ws AND (e.contact_id = p_contact_id OR e.wa_id = p_number)
    AND e.details->>'wamid' = p.w AND p.d LIKE 'wamid.masked.%';
  UPDATE contact_consent_events SET wa_id = p_hash,
    actor_id = CASE WHEN actor_id = p_number THEN p_hash ELSE actor_id END
  WHERE workspace_id = ws AND (contact_id = p_contact_id OR wa_id = p_number);
  UPDATE audit_log SET details = jsonb_set(details, '{wa_id}', to_jsonb(p_hash))
  WHERE workspace_id = ws AND details->>'wa_id' = p_number;
  -- Webhook items Meta sent that could not be applied hold the raw message, number and all.
  DELETE FROM meta_dead_letters WHERE workspace_id = ws AND strpos(item, p_number) > 0;
END $$;
REVOKE ALL ON FUNCTION sandesh_erase_number(uuid, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sandesh_erase_number(uuid, text, text, jsonb) TO sandesh_app;
