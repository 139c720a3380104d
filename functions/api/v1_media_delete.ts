import type { Hono } from "hono";
import { deleteMedia } from "../../lib/media/remove.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** DELETE /v1/media/{id}: at Meta, then here → 204. Another workspace's id is 404. */
export const registerMediaDelete = (app: Hono<AppEnv>) =>
  app.delete("/media/:id", needs("messages:send"), async (c) => {
    await deleteMedia(c.env.services, c.get("workspaceId")!, c.req.param("id"), apiKeyActor(c));
    return c.body(null, 204);
  });
