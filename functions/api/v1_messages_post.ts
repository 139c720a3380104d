import type { Hono } from "hono";
import { acceptMessage } from "../../lib/messages/accept.js";
import type { AppEnv } from "../env.js";

/** POST /v1/messages: 202 {id, status:"queued"}; replays carry Idempotent-Replayed: true. */
export const registerMessagesPost = (app: Hono<AppEnv>) =>
  app.post("/messages", async (c) => {
    const r = await acceptMessage(c.env.services, {
      auth: c.get("auth")!,
      ip: c.env.ip ?? "unknown",
      idempotencyKey: c.req.header("idempotency-key"),
      rawBody: await c.req.text(),
    });
    if (r.replayed) c.header("Idempotent-Replayed", "true");
    c.header("Content-Type", "application/json");
    return c.body(r.body, r.status as 202);
  });
