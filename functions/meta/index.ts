import { Hono } from "hono";
import { timingSafeEqual } from "../../lib/crypto/encoding.js";
import { AppError } from "../../lib/errors.js";
import { ingestMetaWebhook } from "../../lib/ingest/ingest.js";
import { verifyMetaSignature } from "../../lib/ingest/signature.js";
import type { AppEnv } from "../env.js";

/** /webhooks/meta: Meta's subscription check (GET) and its signed callbacks (POST). */
export function metaApp() {
  const app = new Hono<AppEnv>();

  app.get("/", (c) => {
    const q = c.req.query();
    const token = q["hub.verify_token"] ?? "";
    if (q["hub.mode"] !== "subscribe" || !timingSafeEqual(token, c.env.services.config.meta.verifyToken)) {
      throw new AppError(403, "forbidden", "The verify token does not match");
    }
    return c.text(q["hub.challenge"] ?? "");
  });

  app.post("/", async (c) => {
    // The raw bytes, exactly as sent: the signature covers them, not a re-serialisation.
    const raw = new Uint8Array(await c.req.arrayBuffer());
    if (!(await verifyMetaSignature(c.env.services.config.meta.appSecret, raw, c.req.header("x-hub-signature-256")))) {
      throw new AppError(401, "invalid_signature", "X-Hub-Signature-256 is missing or does not match the body");
    }
    const summary = await ingestMetaWebhook(c.env.services, new TextDecoder().decode(raw));
    return c.json({ received: true, ...summary });
  });
  return app;
}
