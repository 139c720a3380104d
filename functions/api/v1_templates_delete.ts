import type { Hono } from "hono";
import { deleteTemplate } from "../../lib/templates/delete.js";
import { queryWabaId } from "../../lib/templates/schema.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** DELETE /v1/templates/{name}[?waba_id=]: every language of the name, at Meta and here → 204. */
export const registerTemplateDelete = (app: Hono<AppEnv>) =>
  app.delete("/templates/:name", needs("templates:write"), async (c) => {
    await deleteTemplate(c.env.services, c.get("workspaceId")!, c.req.param("name"), queryWabaId(c.req.query("waba_id")), apiKeyActor(c));
    return c.body(null, 204);
  });
