import type { Hono } from "hono";
import { mediaInfo } from "../../lib/media/retrieve.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";

/** GET /v1/media/{id}: the media's metadata and a short-lived download link. Another workspace's id is 404. */
export const registerMediaGet = (app: Hono<AppEnv>) =>
  app.get("/media/:id", needs("messages:read", { record: true }), async (c) => {
    const m = await mediaInfo(c.env.services, c.get("workspaceId")!, c.req.param("id"));
    return c.json({
      id: m.id,
      mime_type: m.mime_type,
      sha256: m.sha256,
      file_size: m.file_size,
      source: m.source,
      phone_number_id: m.phone_number_id,
      download_url: m.url,
      download_url_expires_at: m.url_expires_at,
      created_at: m.created_at,
    });
  });
