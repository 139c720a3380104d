import type { Hono } from "hono";
import { pauseBroadcast } from "../../lib/broadcasts/pause.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** POST /v1/broadcasts/{id}/pause → 200 {id, status}. Another workspace's id → 404. */
export const registerBroadcastPause = (app: Hono<AppEnv>) =>
  app.post("/broadcasts/:id/pause", needs("broadcasts:write"), async (c) => c.json(await pauseBroadcast(c.env.services, c.get("workspaceId")!, c.req.param("id"), apiKeyActor(c))));
