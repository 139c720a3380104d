import type { Hono } from "hono";
import { resumeBroadcast } from "../../lib/broadcasts/resume.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** POST /v1/broadcasts/{id}/resume → 200 {id, status}. Another workspace's id → 404. */
export const registerBroadcastResume = (app: Hono<AppEnv>) =>
  app.post("/broadcasts/:id/resume", needs("broadcasts:write"), async (c) => c.json(await resumeBroadcast(c.env.services, c.get("workspaceId")!, c.req.param("id"), apiKeyActor(c))));
