import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { registerGraphMessagesPost } from "./messages_post.js";

/** The Graph-compatible surface: Cloud API SDKs work by changing their base URL. */
export function graphApp() {
  const app = new Hono<AppEnv>();
  registerGraphMessagesPost(app);
  return app;
}
