-- Media: which workspace a Meta media id belongs to. Meta's ids work with any token of
-- the WABA; Sandesh answers for one only to the workspace that uploaded it or received
-- it in an inbound message, and reaches Meta with that number's token.

CREATE TABLE media (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  -- Meta's media id (digits), unique per workspace.
  media_id text NOT NULL CHECK (media_id ~ '^[0-9]{1,32}$'),
  whatsapp_number_id uuid NOT NULL,
  mime_type text NOT NULL CHECK (length(mime_type) BETWEEN 1 AND 255),
  -- Bytes, when known (counted on upload, Meta's file_size once read).
  file_size bigint CHECK (file_size >= 0),
  sha256 text CHECK (length(sha256) <= 128),
  source text NOT NULL CHECK (source IN ('upload', 'inbound')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, media_id),
  FOREIGN KEY (workspace_id, whatsapp_number_id) REFERENCES whatsapp_numbers (workspace_id, id) ON DELETE CASCADE
);

GRANT SELECT, INSERT, UPDATE, DELETE ON media TO sandesh_app;
SELECT sandesh_protect_tenant_table('media'::regclass);
