-- Consent is evidence: deleting a contact from the book must not delete the record of
-- what the person agreed to or refused. Each consent row carries the number it is about,
-- and outlives its contact (contact_id becomes null; the row and its number stay).
ALTER TABLE contact_consent_events ADD COLUMN wa_id text;
UPDATE contact_consent_events e SET wa_id = c.wa_id FROM contacts c WHERE c.id = e.contact_id;
ALTER TABLE contact_consent_events ALTER COLUMN wa_id SET NOT NULL;
ALTER TABLE contact_consent_events ALTER COLUMN contact_id DROP NOT NULL;
ALTER TABLE contact_consent_events DROP CONSTRAINT contact_consent_events_workspace_id_contact_id_fkey;
ALTER TABLE contact_consent_events ADD CONSTRAINT contact_consent_events_workspace_id_contact_id_fkey
  FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE SET NULL (contact_id);
CREATE INDEX contact_consent_events_number ON contact_consent_events (workspace_id, wa_id, occurred_at);

-- Every writer names the contact; the number is taken from it here, so no writer can
-- leave it out or get it wrong.
CREATE FUNCTION sandesh_consent_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.contact_id IS NOT NULL THEN
    SELECT wa_id INTO NEW.wa_id FROM contacts WHERE id = NEW.contact_id AND workspace_id = NEW.workspace_id;
  END IF;
  IF NEW.wa_id IS NULL THEN
    RAISE EXCEPTION 'a consent row needs its contact or its number' USING ERRCODE = 'not_null_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER contact_consent_events_number BEFORE INSERT ON contact_consent_events
  FOR EACH ROW EXECUTE FUNCTION sandesh_consent_number();
