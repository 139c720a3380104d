import { eq } from "drizzle-orm";
import { messages } from "../../db/schema/index.js";
import { withDeadline } from "../../db/deadline.js";
import { withTenant } from "../../db/tenant.js";
import type { ApiKeyAuth } from "../apikeys/auth.js";
import type { Services } from "../context.js";
import { sha256Hex } from "../crypto/encoding.js";
import { AppError, unauthorized, validationFailed } from "../errors.js";
import { passGate, releaseGate, storeIdempotentResponse, parseStored, type GateInput } from "../gate/gate.js";
import { preflight } from "./preflight.js";
import type { NewMessage } from "./writer.js";
import { TIER_UNIQUE_RECIPIENTS } from "../gate/limits.js";
import { uuidv7 } from "../ids.js";
import { forwardedBody } from "./forward.js";
import { sendReadReceipt, type ReadReceiptAnswer } from "./read-receipt.js";
import { parseSendMessage } from "./schema.js";
import { resolveSender } from "./sender.js";

export interface AcceptRequest {
  auth: ApiKeyAuth;
  ip: string;
  idempotencyKey: string | undefined;
  rawBody: string;
  /** The Graph-compatible route: the path names the sender, and the request is hashed with it. */
  phoneNumberId?: string;
}

/** A message accepted (or replayed): the answer /v1 gives; or a read receipt, Meta's answer. */
export type AcceptResponse = { kind: "message"; status: number; body: string; replayed: boolean } | { kind: "read"; answer: ReadReceiptAnswer };

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * POST /v1/messages, as a story: parse, pick the sender, refuse what Meta would
 * refuse (one read), pass the gate (one Redis round trip), write the row and hand it
 * to the queue (both by group commit), remember the answer.
 */
export async function acceptMessage(s: Services, req: AcceptRequest): Promise<AcceptResponse> {
  if (req.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(req.idempotencyKey)) {
    throw validationFailed([{ field: "Idempotency-Key", message: "is malformed" }], "Idempotency-Key must be 1 to 255 printable ASCII characters");
  }
  let json: unknown;
  try {
    json = JSON.parse(req.rawBody);
  } catch {
    throw new AppError(400, "invalid_json", "The request body is not valid JSON");
  }
  const parsed = parseSendMessage(json);
  if (!parsed.ok) throw validationFailed(parsed.errors, "The message is not valid");
  const { workspaceId } = req.auth;
  if (req.phoneNumberId !== undefined && parsed.value.from !== undefined && parsed.value.from !== req.phoneNumberId) {
    throw validationFailed([{ field: "from", message: "must be the phone-number id of the path, or absent" }], "The message is not valid");
  }
  const sender = await resolveSender(s, workspaceId, req.phoneNumberId ?? parsed.value.from);
  if (parsed.kind === "read") return { kind: "read", answer: await sendReadReceipt(s, workspaceId, sender, parsed.value) };
  const input = parsed.value;
  const recipient = input.recipient.id;
  const route = req.phoneNumberId === undefined ? "POST /v1/messages" : `POST /${req.phoneNumberId}/messages`;

  const now = s.clock.now();
  const messageId = uuidv7(now.getTime());
  const gate: GateInput = {
    workspaceId,
    keyId: req.auth.keyId,
    ip: req.ip,
    limits: req.auth.limits,
    idempotencyKeyHash: req.idempotencyKey ? await sha256Hex(req.idempotencyKey) : null,
    // The Graph route's body does not name its sender: the path is part of the request.
    bodyHash: await sha256Hex(req.phoneNumberId === undefined ? req.rawBody : `${route}\n${req.rawBody}`),
    reservationId: messageId,
    numberId: sender.id,
    perSecond: sender.throughputMps,
    uniqueRecipientLimit: TIER_UNIQUE_RECIPIENTS[sender.messagingTier] ?? 250,
    recipient,
    // Business-initiated conversations (templates) count toward Meta's tier.
    countsTowardTier: input.type === "template",
  };
  const declaredCategory = input.category;
  const { optedOut } = await preflight(s, now, workspaceId, sender, recipient, input);
  const verdict = await passGate(s.redis, s.clock, gate);
  switch (verdict.kind) {
    case "revoked":
      throw unauthorized("The API key has been revoked");
    case "replay": {
      const r = parseStored(verdict.stored);
      return { kind: "message", status: r.status, body: r.body, replayed: true };
    }
    case "in_progress":
      throw new AppError(409, "idempotency_in_progress", "A request with this Idempotency-Key is still being processed; retry shortly");
    case "reused":
      throw new AppError(422, "idempotency_key_reused", "This Idempotency-Key was used with a different request body");
    case "limited":
      throw new AppError(429, verdict.limit, limitMessage(verdict.limit), undefined, { "Retry-After": String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))) });
  }

  // Past the gate, every failure gives the reservation back, and a row whose job could
  // not be queued is removed: an accepted message is queued, never half-written.
  const row = {
    id: messageId, workspaceId, whatsappNumberId: sender.id, recipient, type: input.type,
    payload: forwardedBody(input.body), idempotencyKey: req.idempotencyKey ?? null, createdAt: now,
    // The whole request, Sandesh's own fields too: the backstop's "same body" must mean
    // what the gate's means, or a key Redis forgot replays a different request.
    requestHash: await sha256Hex(`${route}\n${canonical(json)}`),
    declaredCategory,
    auditDeclared: optedOut && declaredCategory ? { actorId: req.auth.keyId, ip: req.ip } : null,
  } as NewMessage;
  let rowWritten = false;
  try {
    await s.messageWriter.add(row);
    if (row.existing) {
      // Redis had forgotten the key; the table had not. Nothing new was written or queued.
      await releaseGate(s.redis, verdict, gate);
      const same = row.existing.requestHash !== null ? row.existing.requestHash === row.requestHash : canonical(row.existing.payload) === canonical(row.payload);
      if (!same) {
        throw new AppError(422, "idempotency_key_reused", "This Idempotency-Key was used with a different request body");
      }
      const body = JSON.stringify({ id: row.existing.id, status: "queued" });
      await storeIdempotentResponse(s.redis, gate, 202, body).catch(() => {});
      return { kind: "message", status: 202, body, replayed: true };
    }
    rowWritten = true;
    // Bounded like every step here. A late enqueue of a row removed below sends nothing (its job finds no message).
    if (!row.queued) await withDeadline(s.queue.enqueueSend({ messageId, workspaceId }, { numberId: sender.id, perSecond: sender.throughputMps }), "the enqueue");
  } catch (err) {
    if (err instanceof AppError) throw err;
    s.logger.error("message not accepted", { workspace_id: workspaceId, stage: rowWritten ? "enqueue" : "database", error: err });
    const release = () => releaseGate(s.redis, verdict, gate).catch((e: unknown) => s.logger.error("could not release a gate reservation", { error: e }));
    if (!rowWritten) await release();
    else {
      // The row's fate decides the key's: removed, the key is released; kept, the sweep will
      // queue it and the message is accepted (releasing the key would let a retry create a
      // second). A clean-up past its deadline answers 503 and settles the key when it ends:
      // meanwhile a retry is told the request is in progress.
      const settled = withTenant(s.db, workspaceId, (tx) => tx.delete(messages).where(eq(messages.id, messageId))).then(
        async () => (await release(), "removed" as const),
        async (e: unknown) => {
          s.logger.error("could not remove a message whose enqueue failed; the sweep will queue it", { message_id: messageId, error: e });
          await storeIdempotentResponse(s.redis, gate, 202, JSON.stringify({ id: messageId, status: "queued" })).catch(() => {});
          return "kept" as const;
        },
      );
      if ((await withDeadline(settled, "the clean-up").catch(() => "pending")) === "kept") {
        return { kind: "message", status: 202, body: JSON.stringify({ id: messageId, status: "queued" }), replayed: false };
      }
    }
    throw new AppError(503, "temporarily_unavailable", "The message could not be queued; nothing was sent. Retry with the same Idempotency-Key", undefined, { "Retry-After": "1" });
  }

  const body = JSON.stringify({ id: messageId, status: "queued" });
  await storeIdempotentResponse(s.redis, gate, 202, body).catch((e: unknown) => s.logger.warn("could not store the idempotent response", { error: e }));
  return { kind: "message", status: 202, body, replayed: false };
}

/** JSON with sorted keys: the same request, whatever order its fields came in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  return JSON.stringify(v);
}

function limitMessage(limit: string): string {
  switch (limit) {
    case "rate_limited_api_key":
      return "Too many requests with this API key";
    case "rate_limited_ip":
      return "Too many requests from this address";
    case "rate_limited_workspace":
      return "Too many requests for this workspace";
    case "quota_sender_per_second":
      return "The sender number's per-second throughput is used up";
    case "quota_sender_per_day":
      return "The sender number's daily quota is used up";
    default:
      return "The sender number's messaging tier allows no more new recipients in this 24-hour window";
  }
}
