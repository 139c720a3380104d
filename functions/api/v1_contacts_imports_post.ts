import type { Hono } from "hono";
import { importContacts } from "../../lib/contacts/import.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { countedBody, IMPORT_MAX_BYTES } from "../middleware/security.js";

/** POST /v1/contacts/imports with a CSV body (streamed) → 202 {id, status, counts, errors}. */
export const registerContactsImportPost = (app: Hono<AppEnv>) =>
  app.post("/contacts/imports", async (c) => c.json(await importContacts(c.env.services, c.get("auth")!.workspaceId, countedBody(c.req.raw.body, IMPORT_MAX_BYTES), apiKeyActor(c)), 202));
