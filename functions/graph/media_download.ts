import type { Hono } from "hono";
import { downloadMedia } from "../../lib/media/retrieve.js";
import type { AppEnv } from "../env.js";
import { open } from "../middleware/permission.js";

/**
 * GET /media/download/<token>: the link GET /{media-id} hands out. The token is the
 * credential (short-lived, one media of one workspace); the bytes stream from Meta.
 */
export const registerMediaDownload = (app: Hono<AppEnv>) =>
  app.get("/media/download/:token", open("the link is its own credential: one media of one workspace, for minutes"), async (c) => {
    const res = await downloadMedia(c.env.services, c.req.param("token"));
    // The body is Meta's stream, handed on: the headers already set (security, request id) go with it.
    return c.body(res.body as ReadableStream, 200, Object.fromEntries(res.headers));
  });
