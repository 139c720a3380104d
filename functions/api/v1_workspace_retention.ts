import type { Hono } from "hono";
import { parseJsonBody } from "../../lib/parse.js";
import { getRetention, RetentionInput, setRetention } from "../../lib/retention/setting.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** GET|PUT /v1/workspace/retention `{message_retention_days: N | null}`: how long message content is kept. */
export const registerWorkspaceRetention = (app: Hono<AppEnv>) => {
  app.get("/workspace/retention", needs("settings:read"), async (c) => c.json(await getRetention(c.env.services, c.get("workspaceId")!)));
  app.put("/workspace/retention", needs("settings:write"), async (c) => {
    const input = parseJsonBody(RetentionInput, await c.req.text());
    return c.json(await setRetention(c.env.services, c.get("workspaceId")!, input.message_retention_days, apiKeyActor(c)));
  });
};
