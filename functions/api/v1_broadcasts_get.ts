import type { Hono } from "hono";
import { getBroadcast, listBroadcasts } from "../../lib/broadcasts/get.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";

/** GET /v1/broadcasts?cursor=&limit=: newest first. */
export const registerBroadcastsList = (app: Hono<AppEnv>) =>
  app.get("/broadcasts", needs("broadcasts:read"), async (c) => c.json(await listBroadcasts(c.env.services, c.get("workspaceId")!, c.req.query())));

/** GET /v1/broadcasts/{id}: with live counts. Another workspace's id → 404. */
export const registerBroadcastGet = (app: Hono<AppEnv>) =>
  app.get("/broadcasts/:id", needs("broadcasts:read"), async (c) => c.json(await getBroadcast(c.env.services, c.get("workspaceId")!, c.req.param("id"))));
