import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { registerGraphMediaDelete } from "./media_delete.js";
import { registerMediaDownload } from "./media_download.js";
import { registerGraphMediaGet } from "./media_get.js";
import { registerGraphMediaPost } from "./media_post.js";
import { registerGraphMessagesPost } from "./messages_post.js";

/** The Graph-compatible surface: Cloud API SDKs work by changing their base URL. */
export function graphApp() {
  const app = new Hono<AppEnv>();
  registerGraphMessagesPost(app);
  registerGraphMediaPost(app);
  registerGraphMediaGet(app);
  registerGraphMediaDelete(app);
  registerMediaDownload(app);
  return app;
}
