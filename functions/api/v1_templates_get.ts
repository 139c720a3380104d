import type { Hono } from "hono";
import { listTemplates } from "../../lib/templates/list.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";

/** GET /v1/templates?waba_id=&name=&status=&category=: the catalogue. */
export const registerTemplatesList = (app: Hono<AppEnv>) =>
  app.get("/templates", needs("templates:read"), async (c) => c.json(await listTemplates(c.env.services, c.get("workspaceId")!, c.req.query())));
