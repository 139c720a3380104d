import type { Hono } from "hono";
import { getWorkspace } from "../../lib/workspaces/workspaces.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";

/** GET /v1/workspace: the workspace the API key belongs to. */
export const registerWorkspaceGet = (app: Hono<AppEnv>) =>
  app.get("/workspace", needs("workspace:read"), async (c) => c.json(await getWorkspace(c.env.services, c.get("workspaceId")!)));
