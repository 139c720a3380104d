import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { messageEvents, messages, whatsappNumbers } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Tx } from "../../db/client.js";
import type { Services } from "../context.js";
import { paceSend } from "../gate/pace.js";
import { sendToMeta, type SendResult } from "../meta/client.js";
import type { Attempt, SendJob } from "../queue/port.js";
import { openToken } from "../whatsapp/numbers.js";
import { applyBacklog } from "../ingest/statuses.js";
import { dispatchRecorded, recordEvents, type OutgoingEvent } from "../webhooks/emit.js";

export type SendOutcome =
  | { kind: "sent"; wamid: string }
  | { kind: "failed"; code: number | null; title: string }
  | { kind: "retry"; reason: string }
  | { kind: "skipped"; reason: string };

/**
 * A message in `sending` longer than this was claimed by a worker that stopped
 * mid-send. Meta may or may not have it, and Meta has no idempotency key: it is
 * failed, never sent again, because a business must never pay twice.
 */
export const SENDING_LEASE_MS = 120_000;

const event = (tx: Tx, workspaceId: string, messageId: string, status: string, key: string, details: Record<string, unknown> = {}) =>
  tx.insert(messageEvents).values({ workspaceId, messageId, status, occurredAt: new Date(), dedupeKey: `local:${messageId}:${key}`, details }).onConflictDoNothing();

/**
 * The one send function, whichever transport delivers the job. The conditional claim
 * (queued|retrying → sending) is what makes a redelivered job harmless.
 */
export async function runSendJob(s: Services, job: SendJob, attempt: Attempt): Promise<SendOutcome> {
  const claimed = await withTenant(s.db, job.workspaceId, async (tx) => {
    const [msg] = await tx
      .update(messages)
      .set({ status: "sending", attempts: sql`${messages.attempts} + 1`, updatedAt: s.clock.now() })
      .where(and(eq(messages.id, job.messageId), inArray(messages.status, ["queued", "retrying"])))
      .returning();
    if (!msg) {
      const stale = await tx
        .update(messages)
        .set({ status: "failed", errorTitle: "Send outcome unknown: the worker stopped mid-send; not sent again to avoid a double charge", updatedAt: s.clock.now() })
        .where(and(eq(messages.id, job.messageId), eq(messages.status, "sending"), lt(messages.updatedAt, new Date(s.clock.now().getTime() - SENDING_LEASE_MS))))
        .returning({ id: messages.id });
      if (stale.length) await event(tx, job.workspaceId, job.messageId, "failed", "failed", { reason: "outcome_unknown" });
      return null;
    }
    const [number] = await tx.select().from(whatsappNumbers).where(eq(whatsappNumbers.id, msg.whatsappNumberId));
    return { msg, number: number! };
  });
  if (!claimed) return { kind: "skipped", reason: "already claimed or finished" };
  const { msg, number } = claimed;

  const finish = (fn: (tx: Tx) => Promise<unknown>) => withTenant(s.db, job.workspaceId, fn);

  if (number.tokenStatus !== "active") {
    await finish(async (tx) => {
      await tx.update(messages).set({ status: "failed", errorCode: 190, errorTitle: "The number's Meta token was refused; connect it again with a new token", updatedAt: s.clock.now() }).where(eq(messages.id, msg.id));
      await event(tx, job.workspaceId, msg.id, "failed", "failed", { code: 190 });
    });
    return { kind: "failed", code: 190, title: "token needs replacing" };
  }

  const last = attempt.retried >= attempt.maxRetries;
  // On the last attempt there is no later try to hand the job to: send, and let Meta decide.
  if (!(await paceSend(s.redis, s.clock, job.workspaceId, number.id, number.throughputMps)) && !last) {
    await finish((tx) => tx.update(messages).set({ status: "retrying", updatedAt: s.clock.now() }).where(eq(messages.id, msg.id)));
    return { kind: "retry", reason: "sender backlog" };
  }

  let result: SendResult;
  {
    // Just in time: the plaintext token exists only inside this block.
    const token = await openToken(s, number);
    result = await sendToMeta({ graphUrl: s.config.meta.graphUrl, apiVersion: s.config.meta.apiVersion, phoneNumberId: number.phoneNumberId }, token, msg.payload);
  }

  if (result.ok) {
    const wamid = result.wamid;
    const forwarded = await finish(async (tx) => {
      await tx.update(messages).set({ status: "sent", wamid, errorCode: null, errorTitle: null, errorDetails: null, updatedAt: s.clock.now() }).where(eq(messages.id, msg.id));
      // Keyed as Meta keys its own `sent` status, so the webhook that follows is a duplicate.
      await tx.insert(messageEvents).values({ workspaceId: job.workspaceId, messageId: msg.id, status: "sent", occurredAt: s.clock.now(), dedupeKey: `meta:${wamid}:sent`, details: { wamid } }).onConflictDoNothing();
      // Meta's own status webhooks can outrun this update; what they said is applied now.
      const later = await applyBacklog(tx, job.workspaceId, wamid);
      const events: OutgoingEvent[] = [{ type: "message.sent", timestamp: s.clock.now(), data: { id: msg.id, wamid, status: "sent", to: msg.recipient } }, ...later];
      return recordEvents(s, tx, job.workspaceId, events);
    });
    if (forwarded) await dispatchRecorded(s, [job.workspaceId]).catch((err: unknown) => s.logger.error("event dispatch failed", { error: err }));
    return { kind: "sent", wamid };
  }

  const status = result.retryable && !last ? "retrying" : "failed";
  const forwarded = await finish(async (tx) => {
    await tx.update(messages).set({ status, errorCode: result.code, errorTitle: result.title, errorDetails: result.details, updatedAt: s.clock.now() }).where(eq(messages.id, msg.id));
    await event(tx, job.workspaceId, msg.id, status, status === "failed" ? "failed" : `retrying:${msg.attempts}`, { code: result.code, http_status: result.httpStatus });
    if (result.tokenInvalid) {
      await tx.update(whatsappNumbers).set({ tokenStatus: "needs_new_token", updatedAt: s.clock.now() }).where(eq(whatsappNumbers.id, number.id));
      s.caches.senders.delete(job.workspaceId);
    }
    if (status !== "failed") return 0;
    return recordEvents(s, tx, job.workspaceId, [{ type: "message.failed", timestamp: s.clock.now(), data: { id: msg.id, status: "failed", to: msg.recipient, error: { code: result.code, title: result.title, details: result.details } } }]);
  });
  if (forwarded) await dispatchRecorded(s, [job.workspaceId]).catch((err: unknown) => s.logger.error("event dispatch failed", { error: err }));
  if (status === "retrying") return { kind: "retry", reason: `Meta ${result.code ?? result.httpStatus}` };
  s.logger.warn("send failed", { message_id: msg.id, workspace_id: job.workspaceId, code: result.code, http_status: result.httpStatus });
  return { kind: "failed", code: result.code, title: result.title };
}
