import type { Hono } from "hono";
import { AppError } from "../../lib/errors.js";
import { acceptMessage } from "../../lib/messages/accept.js";
import { classifyMetaError } from "../../lib/meta/errors.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";

/**
 * POST /v1/messages: 202 {id, status:"queued"}; replays carry Idempotent-Replayed: true.
 * A read receipt (`status: "read"`) is not a message: Meta's answer, 200 {success: true}.
 */
export const registerMessagesPost = (app: Hono<AppEnv>) =>
  app.post("/messages", needs("messages:send"), async (c) => {
    const r = await acceptMessage(c.env.services, {
      auth: c.get("auth")!,
      ip: c.env.ip ?? "unknown",
      idempotencyKey: c.req.header("idempotency-key"),
      rawBody: await c.req.text(),
    });
    if (r.kind === "read") {
      if (r.answer.status >= 200 && r.answer.status < 300) return c.json({ success: true }, 200);
      const f = classifyMetaError(r.answer.status, r.answer.json);
      if (f.retryable) throw new AppError(503, "temporarily_unavailable", `Meta could not take the read receipt: ${f.title}`, { meta_code: f.code }, { "Retry-After": "1" });
      throw new AppError(422, "meta_refused", `Meta refused the read receipt: ${f.title}`, { meta_code: f.code, meta_details: f.details });
    }
    if (r.replayed) c.header("Idempotent-Replayed", "true");
    c.header("Content-Type", "application/json");
    return c.body(r.body, r.status as 202);
  });
