import type { Hono } from "hono";
import { createTemplate } from "../../lib/templates/create.js";
import { CreateTemplate } from "../../lib/templates/schema.js";
import { parseJsonBody } from "../../lib/parse.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** POST /v1/templates {name, language, category, components, waba_id?}: submitted to Meta for review → 201. */
export const registerTemplatesPost = (app: Hono<AppEnv>) =>
  app.post("/templates", needs("templates:write"), async (c) => {
    const input = parseJsonBody(CreateTemplate, await c.req.text());
    return c.json(await createTemplate(c.env.services, c.get("workspaceId")!, input, apiKeyActor(c)), 201);
  });
