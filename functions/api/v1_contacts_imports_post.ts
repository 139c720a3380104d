import type { Hono } from "hono";
import { receiveImport } from "../../lib/contacts/import-receive.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { countedBody, IMPORT_MAX_BYTES } from "../middleware/security.js";
import { needs } from "../middleware/permission.js";

/** POST /v1/contacts/imports with a CSV body (streamed, kept) → 202 {id, status: "queued", …}; the rows are written by the import's job. */
export const registerContactsImportPost = (app: Hono<AppEnv>) =>
  app.post("/contacts/imports", needs("contacts:write"), async (c) => c.json(await receiveImport(c.env.services, c.get("workspaceId")!, countedBody(c.req.raw.body, IMPORT_MAX_BYTES), apiKeyActor(c)), 202));
