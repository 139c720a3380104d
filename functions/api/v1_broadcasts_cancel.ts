import type { Hono } from "hono";
import { cancelBroadcast } from "../../lib/broadcasts/cancel.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** POST /v1/broadcasts/{id}/cancel → 200 {id, status}. Another workspace's id → 404. */
export const registerBroadcastCancel = (app: Hono<AppEnv>) =>
  app.post("/broadcasts/:id/cancel", needs("broadcasts:write"), async (c) => c.json(await cancelBroadcast(c.env.services, c.get("workspaceId")!, c.req.param("id"), apiKeyActor(c))));
