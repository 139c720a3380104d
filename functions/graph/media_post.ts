import type { Hono } from "hono";
import { mediaNotFound } from "../../lib/media/store.js";
import { uploadMedia } from "../../lib/media/upload.js";
import { resolveSender } from "../../lib/messages/sender.js";
import { uploadFrom } from "../api/v1_media.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";
import { graphActor, graphKey } from "./key.js";
import { graphMediaError } from "./media_errors.js";

/**
 * POST /{version}/{phone-number-id}/media, as the Graph API answers it: Meta's form,
 * streamed to Meta with the number's vaulted token → {id}. The path's number must be
 * one of the key's workspace's.
 */
export const registerGraphMediaPost = (app: Hono<AppEnv>) =>
  app.post("/:version{v[0-9]+\\.[0-9]+}/:phoneNumberId/media", graphKey(), needs("messages:send"), async (c) => {
    const s = c.env.services;
    const phoneNumberId = c.req.param("phoneNumberId");
    const auth = c.get("auth")!;
    const actor = graphActor(c);
    try {
      if (!/^\d{1,32}$/.test(phoneNumberId)) throw mediaNotFound(phoneNumberId);
      await resolveSender(s, auth.workspaceId, phoneNumberId);
      const { id } = await uploadMedia(s, { workspaceId: auth.workspaceId, phoneNumberId, ...uploadFrom(c) }, actor);
      return c.json({ id });
    } catch (err) {
      throw graphMediaError(err, phoneNumberId, "post");
    }
  });
