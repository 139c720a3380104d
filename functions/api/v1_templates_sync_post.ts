import type { Hono } from "hono";
import { syncTemplates } from "../../lib/templates/sync.js";
import { queryWabaId } from "../../lib/templates/schema.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** POST /v1/templates/sync[?waba_id=]: pulls every page of the WABA's templates from Meta → 200 {synced: [{waba_id, templates}]}. */
export const registerTemplatesSync = (app: Hono<AppEnv>) =>
  app.post("/templates/sync", needs("templates:write"), async (c) => c.json(await syncTemplates(c.env.services, c.get("workspaceId")!, queryWabaId(c.req.query("waba_id")), apiKeyActor(c))));
