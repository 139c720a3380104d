import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { requireApiKey } from "../middleware/api-key.js";
import { registerWorkspaceGet } from "./v1_workspace_get.js";

/** The REST API, mounted at /v1. Every route needs a workspace API key. */
export function apiApp() {
  const app = new Hono<AppEnv>();
  app.use("*", requireApiKey);
  registerWorkspaceGet(app);
  return app;
}
