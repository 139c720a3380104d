import type { Hono } from "hono";
import { listAccess } from "../../lib/access/list.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";
import { counted } from "../middleware/record-read.js";

/**
 * GET /v1/access-log?actor=&route=&since=&cursor=&limit=: the records of reads of
 * personal data (lib/access), newest first. Reading them is a read of the log, recorded too.
 */
export const registerAccessLogGet = (app: Hono<AppEnv>) =>
  app.get("/access-log", needs("audit:read", { record: true }), async (c) => c.json(counted(c, await listAccess(c.env.services, c.get("workspaceId")!, c.req.query()))));
