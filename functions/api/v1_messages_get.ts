import type { Hono } from "hono";
import { getMessage, listMessages } from "../../lib/messages/read.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";
import { counted } from "../middleware/record-read.js";

/** GET /v1/messages/{id}: status, wamid, Meta's error, history. Another tenant's id → 404. */
export const registerMessageGet = (app: Hono<AppEnv>) =>
  app.get("/messages/:id", needs("messages:read", { record: true }), async (c) => c.json(await getMessage(c.env.services, c.get("workspaceId")!, c.req.param("id"))));

/** GET /v1/messages?status=&to=&cursor=&limit=: the tracker, newest first. */
export const registerMessagesList = (app: Hono<AppEnv>) =>
  app.get("/messages", needs("messages:read", { record: true }), async (c) => c.json(counted(c, await listMessages(c.env.services, c.get("workspaceId")!, c.req.query()))));
