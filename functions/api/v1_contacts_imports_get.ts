import type { Hono } from "hono";
import { getImport } from "../../lib/contacts/import-read.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";

/** GET /v1/contacts/imports/{id}: progress and per-line errors. Another tenant's id → 404. */
export const registerContactsImportGet = (app: Hono<AppEnv>) =>
  app.get("/contacts/imports/:id", needs("contacts:read"), async (c) => c.json(await getImport(c.env.services, c.get("workspaceId")!, c.req.param("id"))));
