import type { Hono } from "hono";
import { listTemplates } from "../../lib/templates/list.js";
import type { AppEnv } from "../env.js";

/** GET /v1/templates?waba_id=&name=&status=&category=: the catalogue. */
export const registerTemplatesList = (app: Hono<AppEnv>) =>
  app.get("/templates", async (c) => c.json(await listTemplates(c.env.services, c.get("auth")!.workspaceId, c.req.query())));
