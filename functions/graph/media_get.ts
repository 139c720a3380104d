import type { Hono } from "hono";
import { mediaInfo } from "../../lib/media/retrieve.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";
import { graphKey } from "./key.js";
import { graphMediaError } from "./media_errors.js";

/**
 * GET /{version}/{media-id}: Meta's metadata with `url` a Sandesh download link (five
 * minutes, no token needed), as an SDK's download step expects a URL it can fetch.
 */
export const registerGraphMediaGet = (app: Hono<AppEnv>) =>
  app.get("/:version{v[0-9]+\\.[0-9]+}/:mediaId", graphKey(), needs("messages:read", { record: true }), async (c) => {
    const auth = c.get("auth")!;
    const mediaId = c.req.param("mediaId");
    const m = await mediaInfo(c.env.services, auth.workspaceId, mediaId).catch((err: unknown) => {
      throw graphMediaError(err, mediaId, "get");
    });
    return c.json({ messaging_product: m.messaging_product, url: m.url, mime_type: m.mime_type, sha256: m.sha256, file_size: m.meta_file_size, id: m.id });
  });
