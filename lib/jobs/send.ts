import { sql } from "drizzle-orm";
import { whatsappNumbers } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { paceSend } from "../gate/pace.js";
import { applyBacklogFor } from "../ingest/statuses.js";
import { sendToMeta, type SendResult } from "../meta/client.js";
import type { Attempt, SendJob } from "../queue/port.js";
import { dispatchRecorded, recordEvents, type OutgoingEvent } from "../webhooks/emit.js";
import { openToken } from "../whatsapp/numbers.js";
import { groupBy } from "../group.js";

export type SendOutcome =
  | { kind: "sent"; wamid: string }
  | { kind: "failed"; code: number | null; title: string }
  | { kind: "retry"; reason: string }
  | { kind: "skipped"; reason: string };

export interface SendItem {
  job: SendJob;
  attempt: Attempt;
}

/**
 * A message in `sending` longer than this was claimed by a worker that stopped
 * mid-send. Meta may or may not have it, and Meta has no idempotency key: it is
 * failed, never sent again, because a business must never pay twice.
 */
export const SENDING_LEASE_MS = 120_000;
/** Meta's "throughput reached" error code, and how many fresh slots a send gets for it within one job. */
const META_THROUGHPUT = 130429;
const THROTTLED_RESENDS = 3;
const OUTCOME_UNKNOWN = "Send outcome unknown: the worker stopped mid-send; not sent again to avoid a double charge";
const TOKEN_REFUSED = "The number's Meta token was refused; connect it again with a new token";

type Number = typeof whatsappNumbers.$inferSelect;
type Claimed = {
  id: string;
  whatsapp_number_id: string;
  recipient: string;
  payload: Record<string, unknown>;
  attempts: number;
};
interface Finish {
  id: string;
  status: "sent" | "retrying" | "failed";
  wamid: string | null;
  error_code: number | null;
  error_title: string | null;
  error_details: string | null;
  event_key: string;
  event_details: Record<string, unknown>;
}

/** One message, as QStash delivers it: the batch of one. */
export async function runSendJob(s: Services, job: SendJob, attempt: Attempt): Promise<SendOutcome> {
  return (await runSendBatch(s, [{ job, attempt }]))[0]!;
}

/**
 * The one send function, whichever transport delivers the jobs. Per workspace: one
 * transaction claims the batch with a conditional update (queued|retrying → sending:
 * a redelivered job finds nothing to claim), the tokens are opened just in time, the
 * sends go out in parallel at the number's pace, and one transaction records results.
 */
export async function runSendBatch(s: Services, items: SendItem[]): Promise<SendOutcome[]> {
  const out: SendOutcome[] = new Array(items.length);
  const byWorkspace = groupBy(items.keys(), (i) => items[i]!.job.workspaceId);
  await Promise.all(
    [...byWorkspace].map(async ([workspaceId, idx]) => {
      const outcomes = await sendForWorkspace(s, workspaceId, idx.map((i) => items[i]!));
      idx.forEach((i, k) => (out[i] = outcomes[k]!));
    }),
  );
  return out;
}

const idList = (ids: string[]) => sql`(select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

async function sendForWorkspace(s: Services, workspaceId: string, items: SendItem[]): Promise<SendOutcome[]> {
  const ids = items.map((i) => i.job.messageId);
  const now = s.clock.now();
  const { claimed, inFlight, numbers } = await withTenant(s.db, workspaceId, async (tx) => {
    const claimed = await tx.execute<Claimed>(sql`
      update messages set status = 'sending', attempts = attempts + 1, updated_at = ${now.toISOString()}
      where id in ${idList(ids)} and status in ('queued', 'retrying')
      returning id, whatsapp_number_id, recipient, payload, attempts`);
    const got = new Set(claimed.map((c) => c.id));
    const rest = ids.filter((id) => !got.has(id));
    if (rest.length) {
      await tx.execute(sql`
        with stale as (
          update messages set status = 'failed', error_title = ${OUTCOME_UNKNOWN}, updated_at = ${now.toISOString()}
          where id in ${idList(rest)} and status = 'sending' and updated_at < ${new Date(now.getTime() - SENDING_LEASE_MS).toISOString()}
          returning id, workspace_id)
        insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key, details)
        select workspace_id, id, 'failed', ${now.toISOString()}, 'local:' || id || ':failed', '{"reason":"outcome_unknown"}' from stale
        on conflict do nothing`);
    }
    // Still `sending` inside the lease: another worker holds it, or one died moments ago.
    // Asked again later (not dropped), so the lease's expiry can settle it.
    const inFlight = rest.length
      ? (await tx.execute<{ id: string }>(sql`select id from messages where id in ${idList(rest)} and status = 'sending'`)).map((r) => r.id)
      : [];
    const numberIds = [...new Set(claimed.map((c) => c.whatsapp_number_id))];
    const numbers = numberIds.length ? await tx.select().from(whatsappNumbers).where(sql`${whatsappNumbers.id} in ${idList(numberIds)}`) : [];
    return { claimed, inFlight: new Set(inFlight), numbers: new Map(numbers.map((n) => [n.id, n])) };
  });
  const byId = new Map(items.map((i) => [i.job.messageId, i]));
  const outcomes = new Map<string, SendOutcome>();
  for (const id of inFlight) outcomes.set(id, { kind: "retry", reason: "being sent by another worker" });
  const unclaimed = () => ids.map((id) => outcomes.get(id) ?? { kind: "skipped" as const, reason: "already claimed or finished" });
  if (!claimed.length) return unclaimed();

  // Just in time: plaintext tokens live in this map for the duration of the sends only.
  const tokens = new Map<string, string>();
  let results: { m: Claimed; number: Number; last: boolean; r: SendResult | "token" | "backlog" }[];
  try {
    try {
      for (const n of numbers.values()) if (n.tokenStatus === "active") tokens.set(n.id, await openToken(s, n));
    } catch (err) {
      // Nothing was sent: hand the claim back so a later attempt (or an operator's fix) can.
      await withTenant(s.db, workspaceId, (tx) => tx.execute(sql`update messages set status = 'retrying' where id in ${idList(claimed.map((c) => c.id))} and status = 'sending'`));
      s.logger.error("could not open a Meta token", { workspace_id: workspaceId, error: err });
      for (const c of claimed) outcomes.set(c.id, { kind: "retry", reason: "token could not be opened" });
      return unclaimed();
    }
    results = await Promise.all(
      claimed.map(async (m) => {
        const number = numbers.get(m.whatsapp_number_id)!;
        const { attempt } = byId.get(m.id)!;
        const last = attempt.retried >= attempt.maxRetries;
        const token = tokens.get(number.id);
        if (!token) return { m, number, last, r: "token" as const };
        // On the last attempt there is no later try to hand the job to: send, and let Meta decide.
        const pace = () => paceSend(s.redis, s.clock, workspaceId, number.id, number.throughputMps);
        if (!(await pace()) && !last) return { m, number, last, r: "backlog" as const };
        const send = () => sendToMeta({ graphUrl: s.config.meta.graphUrl, apiVersion: s.config.meta.apiVersion, phoneNumberId: number.phoneNumberId }, token, m.payload, s.metaPost);
        let r = await send();
        // 130429: Meta refused it for throughput and did not take it, so sending again is
        // safe. Timers fire late, never early, so sends paced at exactly the ceiling bunch
        // up now and then; a fresh slot now beats the queue's backoff of seconds.
        for (let i = 0; i < THROTTLED_RESENDS && !r.ok && r.code === META_THROUGHPUT && (await pace()); i++) r = await send();
        return { m, number, last, r };
      }),
    );
  } finally {
    tokens.clear();
  }

  const finish: Finish[] = [];
  const events: OutgoingEvent[] = [];
  const refused = new Set<string>();
  const at = s.clock.now();
  for (const { m, number, last, r } of results) {
    const base = { id: m.id, wamid: null, error_code: null, error_title: null, error_details: null, event_details: {} };
    if (r === "backlog") {
      finish.push({ ...base, status: "retrying", event_key: `local:${m.id}:retrying:${m.attempts}`, event_details: { reason: "sender backlog" } });
      outcomes.set(m.id, { kind: "retry", reason: "sender backlog" });
    } else if (r === "token") {
      finish.push({ ...base, status: "failed", error_code: 190, error_title: TOKEN_REFUSED, event_key: `local:${m.id}:failed`, event_details: { code: 190 } });
      outcomes.set(m.id, { kind: "failed", code: 190, title: TOKEN_REFUSED });
      events.push({ type: "message.failed", timestamp: at, data: { id: m.id, status: "failed", to: m.recipient, error: { code: 190, title: TOKEN_REFUSED, details: null } } });
    } else if (r.ok) {
      // Keyed as Meta keys its own `sent` status, so the webhook that follows is a duplicate.
      finish.push({ ...base, status: "sent", wamid: r.wamid, event_key: `meta:${r.wamid}:sent`, event_details: { wamid: r.wamid } });
      outcomes.set(m.id, { kind: "sent", wamid: r.wamid });
      events.push({ type: "message.sent", timestamp: at, data: { id: m.id, wamid: r.wamid, status: "sent", to: m.recipient } });
    } else {
      const status = r.retryable && !last ? "retrying" : "failed";
      if (r.tokenInvalid) refused.add(number.id);
      finish.push({ ...base, status, error_code: r.code, error_title: r.title, error_details: r.details, event_key: status === "failed" ? `local:${m.id}:failed` : `local:${m.id}:retrying:${m.attempts}`, event_details: { code: r.code, http_status: r.httpStatus } });
      outcomes.set(m.id, status === "retrying" ? { kind: "retry", reason: `Meta ${r.code ?? r.httpStatus}` } : { kind: "failed", code: r.code, title: r.title });
      if (status === "failed") events.push({ type: "message.failed", timestamp: at, data: { id: m.id, status: "failed", to: m.recipient, error: { code: r.code, title: r.title, details: r.details } } });
    }
  }

  const forwarded = await withTenant(s.db, workspaceId, async (tx) => {
    await tx.execute(sql`
      with u as (
        select * from jsonb_to_recordset(${JSON.stringify(finish)}::jsonb) as u(id uuid, status text, wamid text, error_code int,
          error_title text, error_details text, event_key text, event_details jsonb)
      ), upd as (
        update messages t set status = u.status, wamid = coalesce(u.wamid, t.wamid), error_code = u.error_code,
          error_title = u.error_title, error_details = u.error_details, updated_at = ${at.toISOString()}
        from u where t.id = u.id and t.status = 'sending'
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
    return events.length ? recordEvents(s, tx, workspaceId, events) : 0;
  });
  if (forwarded) await dispatchRecorded(s, [workspaceId]).catch((err: unknown) => s.logger.error("event dispatch failed", { error: err }));
  const failedCount = finish.filter((f) => f.status === "failed").length;
  if (failedCount) s.logger.warn("sends failed", { workspace_id: workspaceId, count: failedCount, codes: [...new Set(finish.map((f) => f.error_code).filter((c) => c !== null))] });
  return unclaimed();
}
