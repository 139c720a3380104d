import type { Hono } from "hono";
import { acceptMessage } from "../../lib/messages/accept.js";
import { awaitMessageOutcome } from "../../lib/messages/outcome.js";
import { recipientOf } from "../../lib/messages/recipient.js";
import { resolveSender } from "../../lib/messages/sender.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";
import { phone, wamid, wamidMask } from "../../lib/permissions/phones.js";
import { graphKey } from "./key.js";
import { GraphAnswer, objectMissing, statusOfMetaCode } from "./errors.js";

/**
 * POST /{version}/{phone-number-id}/messages, as the Graph API answers it: an SDK
 * pointed at Sandesh's base URL, with a Sandesh API key as its access token. The path's
 * number must be one of the key's workspace's; the message then takes the /v1 path (the
 * same pre-flight, gate, idempotency, quotas and writer), and the answer waits for the
 * one send job to record Meta's wamid. Past GRAPH_SEND_WAIT_MS the answer is Graph's
 * shape with Sandesh's message id and `message_status: "accepted"`: the send still
 * happens, once, and its statuses arrive as events. Read receipts are Meta's answer.
 */
export const registerGraphMessagesPost = (app: Hono<AppEnv>) =>
  app.post("/:version{v[0-9]+\\.[0-9]+}/:phoneNumberId/messages", graphKey("send"), needs("messages:send"), async (c) => {
    const s = c.env.services;
    const ip = c.env.ip ?? "unknown";
    const phoneNumberId = c.req.param("phoneNumberId");
    const auth = c.get("auth")!;
    // The path first, as at Graph: another workspace's number does not exist for this key.
    if (!/^\d{1,32}$/.test(phoneNumberId)) throw new GraphAnswer(objectMissing(phoneNumberId));
    await resolveSender(s, auth.workspaceId, phoneNumberId);

    const rawBody = await c.req.text();
    const r = await acceptMessage(s, { auth, ip, idempotencyKey: c.req.header("idempotency-key"), rawBody, phoneNumberId });
    if (r.kind === "read") {
      if (r.answer.json && typeof r.answer.json === "object") return c.json(r.answer.json as object, r.answer.status as 200);
      throw new GraphAnswer({ status: 502, code: 1, message: "An unknown error occurred", details: `HTTP ${r.answer.status} from the Graph API` });
    }
    if (r.replayed) c.header("Idempotent-Replayed", "true");
    const id = (JSON.parse(r.body) as { id: string }).id;
    const outcome = await awaitMessageOutcome(s, auth.workspaceId, id, s.config.graph.sendWaitMs);
    if (outcome.kind === "failed") {
      const code = outcome.code ?? 131000;
      throw new GraphAnswer({ status: outcome.code === null ? 500 : statusOfMetaCode(code), code, message: outcome.code === null ? "(#131000) Something went wrong" : (outcome.title ?? `(#${code})`), ...(outcome.details || outcome.title ? { details: outcome.details ?? outcome.title! } : {}) });
    }
    // The wamid encodes the recipient's number: a masked key is given its digest (lib/permissions/phones.ts).
    const message = outcome.kind === "sent" ? { id: wamid(outcome.wamid, wamidMask(s.vault, auth.workspaceId)) } : { id, message_status: "accepted" };
    if (outcome.kind === "pending") c.header("X-Sandesh-Message-Status", "queued");
    return c.json({ messaging_product: "whatsapp", contacts: [contactOf(JSON.parse(rawBody) as Record<string, unknown>)], messages: [message] }, 200);
  });

/** As Meta echoes the recipient: `input` as sent, with the phone number's `wa_id` or the user's `user_id`. */
function contactOf(body: Record<string, unknown>) {
  const who = recipientOf(body);
  const input = String(body.to ?? body.recipient ?? "");
  if (!who.ok || who.value.kind === "group") return { input };
  // The caller's own input, a person's number all the same (lib/permissions/phones.ts).
  return who.value.kind === "user" ? { input, user_id: who.value.id } : { input: phone(input), wa_id: phone(who.value.id) };
}
