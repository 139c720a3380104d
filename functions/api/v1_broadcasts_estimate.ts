import type { Hono } from "hono";
import { estimateBroadcast } from "../../lib/broadcasts/estimate.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";

/** GET /v1/broadcasts/{id}/estimate: recipients after skips, duration, cost. */
export const registerBroadcastEstimate = (app: Hono<AppEnv>) =>
  app.get("/broadcasts/:id/estimate", needs("broadcasts:read"), async (c) => c.json(await estimateBroadcast(c.env.services, c.get("workspaceId")!, c.req.param("id"))));
