-- What the idempotency backstop compares, and what a send claimed to be.
-- request_hash: SHA-256 of the request as the client sent it (canonical JSON, route
-- included). When Redis has forgotten a key, the table decides "same request or not"
-- from this, not from the payload sent to Meta, which leaves out Sandesh's own fields
-- (template.category, from): the same key with another category is another request.
-- declared_category: the template category the client declared. The opt-out check
-- rests on it until a template catalogue decides categories; it is kept with the
-- message so a mislabelled promotion can be traced to the send that declared it.
ALTER TABLE messages
  ADD COLUMN request_hash text,
  ADD COLUMN declared_category text CHECK (declared_category IN ('MARKETING', 'UTILITY', 'AUTHENTICATION'));
