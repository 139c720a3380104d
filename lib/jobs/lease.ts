import { sql } from "drizzle-orm";
import { asApp, withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { settleTagged } from "../ingest/statuses.js";
import { dispatchRecorded, recordEvents, type OutgoingEvent } from "../webhooks/emit.js";
import { groupBy } from "../group.js";
import { failLapsed, holdForBroadcast, lockedByIds, releaseUnposted } from "./claim.js";
import { failedEvent, NO_LIVE_JOB, SEND_ATTEMPTS, SENDING_LEASE_MS, type FailureReason } from "./endings.js";

type Lapsed = { message_id: string; workspace_id: string; whatsapp_number_id: string; status: "sending" | "retrying" };

/**
 * The lease sweep: no message is left hanging. Runs from the Worker's cron and on an
 * interval in the Node process; safe anywhere, any time (every change is conditional).
 * - `sending` past its lease: the worker stopped. With no posting mark (lib/jobs/claim.ts)
 *   it never posted → `retrying`, revived below. With one, Meta may have it → failed,
 *   outcome unknown, never sent again; statuses naming it settle it (lib/ingest/reconcile.ts).
 * - `retrying` past the time its next attempt was due: its job is gone (a queue that gave
 *   up, a lost delivery) → a new job, which counts as an attempt; with the attempts
 *   spent → failed, keeping the last reason it was held for.
 */
export async function settleLapsedMessages(s: Services): Promise<{ failed: number; revived: number }> {
  const now = s.clock.now();
  const lapsed = await asApp(s.db, (tx) => tx.execute<Lapsed>(sql`select * from sandesh_lapsed_messages(${now.toISOString()}, ${SENDING_LEASE_MS / 1000}, 500)`));
  let failed = 0;
  let revived = 0;
  const touched: string[] = [];
  for (const [workspaceId, rows] of groupBy(lapsed, (r) => r.workspace_id)) {
    const sending = rows.filter((r) => r.status === "sending").map((r) => r.message_id);
    const { events, revive } = await withTenant(s.db, workspaceId, async (tx) => {
      // Never posted (no posting mark): back to retrying, revived below like any other.
      const released = sending.length ? await releaseUnposted(tx, sending, now) : [];
      const retrying = [...rows.filter((r) => r.status === "retrying").map((r) => r.message_id), ...released];
      const events: OutgoingEvent[] = sending.length ? await failLapsed(tx, sending, now) : [];
      if (events.length) events.push(...(await settleTagged(tx, workspaceId, events.map((e) => e.data.id as string))));
      // A paused broadcast's message is held (queued, for resume), not revived: a revival
      // spends an attempt the claim would refuse, so pause/resume cycles would exhaust them.
      if (retrying.length) await holdForBroadcast(tx, retrying, now.toISOString());
      const due = new Date(now.getTime() + (s.queue.retryWithinMs?.(0) ?? 60_000) + SENDING_LEASE_MS).toISOString();
      const moved = retrying.length
        ? await tx.execute<{ id: string; status: string; recipient: string; attempts: number; error_code: number | null; error_title: string; error_details: string | null; error_reason: FailureReason; whatsapp_number_id: string; mps: number }>(sql`
            -- By primary key behind the fence (lib/jobs/claim.ts): a status beside the ids walked the status indexes.
            with c as materialized (${lockedByIds(retrying, { where: sql`status = 'retrying' and coalesce(claimed_until, updated_at + ${`${SENDING_LEASE_MS} milliseconds`}::interval) < ${now.toISOString()}` })})
            update messages t set
              status = case when t.attempts >= ${SEND_ATTEMPTS} then 'failed' else 'retrying' end,
              attempts = case when t.attempts >= ${SEND_ATTEMPTS} then t.attempts else t.attempts + 1 end,
              error_title = case when t.attempts >= ${SEND_ATTEMPTS} then coalesce(t.error_title, ${NO_LIVE_JOB}) else t.error_title end,
              error_reason = case when t.attempts >= ${SEND_ATTEMPTS} then coalesce(t.error_reason, 'retries_exhausted') else t.error_reason end,
              claimed_until = ${due}, updated_at = ${now.toISOString()}
            from c, whatsapp_numbers n
            where t.id = c.id and c.matches and n.id = t.whatsapp_number_id
            returning t.id, t.status, t.recipient, t.attempts, t.error_code, t.error_title, t.error_details, t.error_reason, t.whatsapp_number_id, n.throughput_mps as mps`)
        : [];
      const ended = moved.filter((m) => m.status === "failed");
      if (ended.length) {
        await tx.execute(sql`
          insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key, details)
          select ${workspaceId}, id, 'failed', ${now.toISOString()}, 'local:' || id || ':failed', jsonb_build_object('reason', reason)
          from jsonb_to_recordset(${JSON.stringify(ended.map((m) => ({ id: m.id, reason: m.error_reason })))}::jsonb) as e(id uuid, reason text)
          on conflict do nothing`);
        for (const m of ended) events.push(failedEvent(m.id, m.recipient, { code: m.error_code, title: m.error_title, details: m.error_details, reason: m.error_reason }, now));
      }
      if (events.length && (await recordEvents(s, tx, workspaceId, events))) touched.push(workspaceId);
      return { events, revive: moved.filter((m) => m.status === "retrying") };
    });
    failed += events.filter((e) => e.type === "message.failed").length;
    // After commit: should the enqueue fail, the message is due again and the next pass revives it.
    for (const m of revive) {
      await s.queue.enqueueSend({ messageId: m.id, workspaceId, revival: m.attempts }, { numberId: m.whatsapp_number_id, perSecond: m.mps });
      revived++;
    }
  }
  if (touched.length) await dispatchRecorded(s, touched).catch((err: unknown) => s.logger.error("event dispatch failed", { error: err }));
  if (failed || revived) s.logger.warn("lease sweep settled messages", { failed, revived });
  return { failed, revived };
}

/** Statuses naming an outcome-unknown message that missed the moment it was settled. */
export async function applyUnsettledTags(s: Services, olderThanS = 30): Promise<number> {
  const rows = await asApp(s.db, (tx) => tx.execute<{ workspace_id: string; message_id: string }>(sql`select * from sandesh_unsettled_tags(${olderThanS}, 500)`));
  const touched: string[] = [];
  for (const [workspaceId, group] of groupBy(rows, (r) => r.workspace_id)) {
    const n = await withTenant(s.db, workspaceId, async (tx) => recordEvents(s, tx, workspaceId, await settleTagged(tx, workspaceId, group.map((r) => r.message_id))));
    if (n) touched.push(workspaceId);
  }
  if (touched.length) await dispatchRecorded(s, touched);
  return rows.length;
}
