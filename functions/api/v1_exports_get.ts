import type { Hono } from "hono";
import { getExport, listExports } from "../../lib/exports/list.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";

/** GET /v1/exports?status=&cursor=&limit=: the workspace's exports, newest first, never their content. */
export const registerExportsList = (app: Hono<AppEnv>) =>
  app.get("/exports", needs("exports:create"), async (c) =>
    c.json(await listExports(c.env.services, c.get("workspaceId")!, { status: c.req.query("status"), cursor: c.req.query("cursor"), limit: c.req.query("limit") })),
  );

/** GET /v1/exports/{id}: where it stands. Another workspace's id → 404. */
export const registerExportGet = (app: Hono<AppEnv>) =>
  app.get("/exports/:id", needs("exports:create"), async (c) => c.json(await getExport(c.env.services, c.get("workspaceId")!, c.req.param("id"))));
