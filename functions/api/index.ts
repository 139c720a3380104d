import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { requireApiKey } from "../middleware/api-key.js";
import { registerMessageGet, registerMessagesList } from "./v1_messages_get.js";
import { registerMessagesPost } from "./v1_messages_post.js";
import { registerWorkspaceGet } from "./v1_workspace_get.js";

/** The REST API, mounted at /v1. Every route needs a workspace API key. */
export function apiApp() {
  const app = new Hono<AppEnv>();
  app.use("*", requireApiKey);
  registerWorkspaceGet(app);
  registerMessagesPost(app);
  registerMessagesList(app);
  registerMessageGet(app);
  return app;
}
