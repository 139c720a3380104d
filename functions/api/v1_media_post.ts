import type { Hono } from "hono";
import { uploadMedia } from "../../lib/media/upload.js";
import { resolveSender } from "../../lib/messages/sender.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { uploadFrom } from "./v1_media.js";
import { needs } from "../middleware/permission.js";

/**
 * POST /v1/media[?from=<phone-number-id>]: Meta's upload form (messaging_product, type,
 * file), streamed to Meta with the number's token → 201 {id, mime_type, file_size, sha256}.
 */
export const registerMediaPost = (app: Hono<AppEnv>) =>
  app.post("/media", needs("messages:send"), async (c) => {
    const s = c.env.services;
    const workspaceId = c.get("workspaceId")!;
    const sender = await resolveSender(s, workspaceId, c.req.query("from") || undefined);
    const uploaded = await uploadMedia(s, { workspaceId, phoneNumberId: sender.phoneNumberId, ...uploadFrom(c) }, apiKeyActor(c));
    return c.json(uploaded, 201);
  });
