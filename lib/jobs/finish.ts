import { sql } from "drizzle-orm";
import { whatsappNumbers } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { applyBacklogFor, settleTagged } from "../ingest/statuses.js";
import { dispatchRecorded, recordEvents, type OutgoingEvent } from "../webhooks/emit.js";
import { sentStatus } from "../webhooks/meta-format.js";
import { idList, lockedByIds, SENDING, type Claimed } from "./claim.js";
import { failedEvent, TOKEN_REFUSED, type Failure, type FailureReason } from "./endings.js";
import type { SendResult } from "../meta/client.js";

export type SendOutcome =
  | { kind: "sent"; wamid: string }
  | { kind: "failed"; code: number | null; title: string; reason?: FailureReason }
  | { kind: "retry"; reason: string }
  | { kind: "skipped"; reason: string };

/**
 * What became of one claimed message before its result is recorded: posted (Meta's
 * answer, or a network failure), or held back before anything was posted (provably not
 * sent, so it may be tried again), or refused because the number's token was refused.
 */
export type Step =
  | { kind: "posted"; r: SendResult }
  | { kind: "held"; title: string; reason: FailureReason }
  | { kind: "token_refused" }
  | { kind: "lost" }
  /** A broadcast paused or canceled while this send waited for its slot: back to queued, or canceled. Not posted. */
  | { kind: "withheld"; halt: "paused" | "canceled" };

export interface Finish {
  id: string;
  /** The claim's attempt: a result is recorded only while the claim is still this one. */
  attempts: number;
  /** Attempts given back: 1 for a send withheld before it was posted (the claim spent one it never used). */
  refund: number;
  status: "sent" | "retrying" | "failed" | "queued" | "canceled";
  wamid: string | null;
  error_code: number | null;
  error_title: string | null;
  error_details: string | null;
  error_reason: FailureReason | null;
  /** `retrying`: the next attempt is due by then, or the sweep takes its job to be gone. */
  claimed_until: string | null;
  event_key: string;
  event_details: Record<string, unknown>;
}

/** One claimed message's ending (or hand-back), its answer to the queue, and the event it forwards. */
export function finishFor(m: Claimed, step: Exclude<Step, { kind: "lost" }>, last: boolean, at: Date, retryBy: Date): { finish: Finish; outcome: SendOutcome; event?: OutgoingEvent } {
  const base = { id: m.id, attempts: m.attempts, refund: 0, wamid: null, error_code: null, error_title: null, error_details: null, error_reason: null, claimed_until: null, event_details: {} };
  const retrying = (why: string, f: Partial<Finish>, details: Record<string, unknown>) => ({
    finish: { ...base, ...f, status: "retrying" as const, claimed_until: retryBy.toISOString(), event_key: `local:${m.id}:retrying:${m.attempts}`, event_details: details },
    outcome: { kind: "retry" as const, reason: why },
  });
  const failed = (f: Failure, details: Record<string, unknown>) => ({
    finish: { ...base, status: "failed" as const, error_code: f.code, error_title: f.title, error_details: f.details, error_reason: f.reason, event_key: `local:${m.id}:failed`, event_details: { ...details, reason: f.reason } },
    outcome: { kind: "failed" as const, code: f.code, title: f.title, reason: f.reason },
    event: withBroadcast(failedEvent(m.id, m.recipient, f, at), m.broadcast_id),
  });
  if (step.kind === "withheld") {
    const status = step.halt === "paused" ? ("queued" as const) : ("canceled" as const);
    // Never posted (the halt is read before the posting mark): the attempt the claim counted is given back.
    return { finish: { ...base, refund: 1, status, event_key: `local:${m.id}:${status}:${m.attempts}`, event_details: { reason: `broadcast ${step.halt}` } }, outcome: { kind: "skipped", reason: `broadcast ${step.halt}` } };
  }
  if (step.kind === "held") {
    // Nothing was posted: the claim goes back with the reason, or, on the last attempt, ends with it.
    if (!last) return retrying(step.title, { error_title: step.title, error_reason: step.reason }, { reason: step.title });
    return failed({ code: null, title: step.title, details: null, reason: step.reason }, {});
  }
  if (step.kind === "token_refused") return failed({ code: 190, title: TOKEN_REFUSED, details: null, reason: "token_refused" }, { code: 190 });
  const r = step.r;
  if (r.ok) {
    // Keyed as Meta keys its own `sent` status, so the webhook that follows is a duplicate.
    return {
      finish: { ...base, status: "sent", wamid: r.wamid, event_key: `meta:${r.wamid}:sent`, event_details: { wamid: r.wamid } },
      outcome: { kind: "sent", wamid: r.wamid },
      event: {
        type: "message.sent",
        timestamp: at,
        data: { id: m.id, wamid: r.wamid, status: "sent", to: m.recipient, ...(m.broadcast_id ? { broadcast_id: m.broadcast_id } : {}) },
        meta: { status: sentStatus(r.wamid, at, m.recipient, m.payload) },
      },
    };
  }
  const details = { code: r.code, http_status: r.httpStatus };
  if (r.retryable && !last) return retrying(`Meta ${r.code ?? r.httpStatus}`, { error_code: r.code, error_title: r.title, error_details: r.details }, details);
  const reason: FailureReason = r.outcomeUnknown ? "outcome_unknown" : r.tokenInvalid ? "token_refused" : r.retryable ? "retries_exhausted" : "meta_error";
  return failed({ code: r.code, title: r.title, details: r.details, reason }, details);
}

/** Events of a broadcast's messages name it. */
const withBroadcast = (e: OutgoingEvent, broadcastId: string | null): OutgoingEvent => (broadcastId ? { ...e, data: { ...e.data, broadcast_id: broadcastId } } : e);

/**
 * One transaction records every result of the batch, conditional on the claim still
 * being this job's (`sending`), flags refused numbers, applies Meta statuses that outran
 * the answer (by wamid) or that name a message whose answer was lost (by its tag).
 */
export async function recordFinish(s: Services, workspaceId: string, finish: Finish[], events: OutgoingEvent[], refused: Set<string>, at: Date): Promise<void> {
  const forwarded = await withTenant(s.db, workspaceId, async (tx) => {
    await tx.execute(sql`
      with u as (
        select * from jsonb_to_recordset(${JSON.stringify(finish)}::jsonb) as u(id uuid, attempts int, refund int, status text, wamid text, error_code int,
          error_title text, error_details text, error_reason text, claimed_until timestamptz, event_key text, event_details jsonb)
      ), c as materialized (${lockedByIds(finish.map((f) => f.id), { where: SENDING })}), upd as (
        update messages t set status = u.status, attempts = t.attempts - u.refund, wamid = coalesce(u.wamid, t.wamid), error_code = u.error_code,
          error_title = u.error_title, error_details = u.error_details, error_reason = u.error_reason,
          claimed_until = u.claimed_until, updated_at = ${at.toISOString()}
        from u join c on c.id = u.id where t.id = c.id and c.matches and c.attempts = u.attempts
        returning t.id, t.workspace_id)
      insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key, details)
      select upd.workspace_id, u.id, u.status, ${at.toISOString()}, u.event_key, u.event_details from u join upd on upd.id = u.id
      on conflict do nothing`);
    if (refused.size) {
      await tx.update(whatsappNumbers).set({ tokenStatus: "needs_new_token", updatedAt: at }).where(sql`${whatsappNumbers.id} in ${idList([...refused])}`);
      s.caches.senders.delete(workspaceId);
    }
    // Meta's own status webhooks can outrun this update; what they said is applied now.
    const wamids = finish.flatMap((f) => (f.wamid ? [f.wamid] : []));
    if (wamids.length) events.push(...(await applyBacklogFor(tx, workspaceId, wamids)));
    const unknown = finish.filter((f) => f.error_reason === "outcome_unknown").map((f) => f.id);
    if (unknown.length) events.push(...(await settleTagged(tx, workspaceId, unknown)));
    return events.length ? recordEvents(s, tx, workspaceId, events) : 0;
  });
  if (forwarded) await dispatchRecorded(s, [workspaceId]).catch((err: unknown) => s.logger.error("event dispatch failed", { error: err }));
  const failedCount = finish.filter((f) => f.status === "failed").length;
  if (failedCount) s.logger.warn("sends failed", { workspace_id: workspaceId, count: failedCount, reasons: [...new Set(finish.map((f) => f.error_reason).filter((c) => c !== null))], codes: [...new Set(finish.map((f) => f.error_code).filter((c) => c !== null))] });
}
