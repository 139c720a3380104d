import type { Hono } from "hono";
import { deleteMedia } from "../../lib/media/remove.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";
import { graphActor, graphKey } from "./key.js";
import { graphMediaError } from "./media_errors.js";

/** DELETE /{version}/{media-id} → {success: true}, at Meta with the number's token. */
export const registerGraphMediaDelete = (app: Hono<AppEnv>) =>
  app.delete("/:version{v[0-9]+\\.[0-9]+}/:mediaId", graphKey(), needs("messages:send"), async (c) => {
    const auth = c.get("auth")!;
    const actor = graphActor(c);
    const mediaId = c.req.param("mediaId");
    await deleteMedia(c.env.services, auth.workspaceId, mediaId, actor).catch((err: unknown) => {
      throw graphMediaError(err, mediaId, "delete");
    });
    return c.json({ success: true });
  });
