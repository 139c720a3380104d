import type { Hono } from "hono";
import { listDeadLetters } from "../../lib/ingest/dead-letter.js";
import { parsePage } from "../../lib/webhooks/schema.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";

/** GET /v1/meta-dead-letters?cursor=&limit=: items of Meta's webhooks for this workspace that were not applied, newest first. */
export const registerMetaDeadLetters = (app: Hono<AppEnv>) =>
  app.get("/meta-dead-letters", needs("numbers:read", "messages:read"), async (c) => c.json(await listDeadLetters(c.env.services, c.get("workspaceId")!, parsePage(c.req.query()))));
