import { Hono } from "hono";
import { ByteBudget } from "../../lib/byte-budget.js";
import { AppError } from "../../lib/errors.js";
import { ingestMetaWebhook } from "../../lib/ingest/ingest.js";
import { parseSignatureHeader, verifyMetaSignature } from "../../lib/ingest/signature.js";
import { answerVerification } from "../../lib/ingest/verification.js";
import type { AppEnv } from "../env.js";
import { META_WEBHOOK_MAX_BYTES, readAtMost, tooLarge } from "../middleware/security.js";
import { open } from "../middleware/permission.js";

/**
 * Bytes of not-yet-verified Meta bodies one process holds at once: four of the largest,
 * or thousands of Meta's usual few-kilobyte deliveries. Past it: 503, and Meta retries.
 */
export const UNVERIFIED_BODY_BUDGET = 4 * META_WEBHOOK_MAX_BYTES;

const invalidSignature = () => new AppError(401, "invalid_signature", "X-Hub-Signature-256 is missing or does not match the body");

/** /webhooks/meta: Meta's subscription check (GET) and its signed callbacks (POST). */
export function metaApp(opts: { unverifiedBodyBudget?: number } = {}) {
  const app = new Hono<AppEnv>();
  const budget = new ByteBudget(opts.unverifiedBodyBudget ?? UNVERIFIED_BODY_BUDGET);

  app.get("/", open("Meta's subscription check: answers only with the verify token"), async (c) => c.text(await answerVerification(c.env.services, c.env.ip ?? "unknown", c.req.query())));

  app.post("/", open("Meta's callbacks: the signature is checked before the body is used"), async (c) => {
    // Anyone can post here: without a well-formed signature the body is never read.
    if (!parseSignatureHeader(c.req.header("x-hub-signature-256"))) throw invalidSignature();
    const declared = Number(c.req.header("content-length"));
    const bounded = Number.isSafeInteger(declared) && declared >= 0 && declared <= META_WEBHOOK_MAX_BYTES && c.req.header("transfer-encoding") === undefined;
    const hold = bounded ? declared : META_WEBHOOK_MAX_BYTES;
    if (!budget.tryTake(hold)) {
      throw new AppError(503, "temporarily_unavailable", "Too many webhook bodies are being received; retry shortly", undefined, { "Retry-After": "1" });
    }
    let raw: Uint8Array<ArrayBuffer>;
    try {
      // The raw bytes, exactly as sent: the signature covers them, not a re-serialisation.
      // A declared length within the bound is what the HTTP parser holds the body to (Node's
      // and workerd's): read at once, which in Node skips building a web Request and stream
      // for it (~7 % of the process under Meta's one-status-per-call storm). Any other body
      // is counted while it streams.
      raw = bounded ? new Uint8Array(await c.req.arrayBuffer()) : await readAtMost(c.req.raw.body, META_WEBHOOK_MAX_BYTES);
    } finally {
      budget.give(hold);
    }
    if (raw.length > META_WEBHOOK_MAX_BYTES) throw tooLarge(META_WEBHOOK_MAX_BYTES);
    if (!(await verifyMetaSignature(c.env.services.config.meta.appSecret, raw, c.req.header("x-hub-signature-256")))) throw invalidSignature();
    const summary = await ingestMetaWebhook(c.env.services, new TextDecoder().decode(raw));
    return c.json({ received: true, ...summary });
  });
  return app;
}
