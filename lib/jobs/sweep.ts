import { sql } from "drizzle-orm";
import { asApp, withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { applyBacklogFor } from "../ingest/statuses.js";
import { dispatchRecorded, recordEvents } from "../webhooks/emit.js";
import { groupBy } from "../group.js";
import { lockedByIds } from "./claim.js";

export const STUCK_AFTER_S = 120;

/** A `queued` message re-enqueued by the sweep and still queued this long later lost that job too. */
export const REQUEUE_WINDOW_MS = 10 * 60_000;

/**
 * Re-enqueues messages left `queued` with no job: a crash between commit and enqueue, or
 * a job whose every attempt met a database that was away (it ended, and both queues drop
 * a second job with its id). The first pass enqueues as the writer did (dropped if the
 * job is alive) and stamps claimed_until; a message still queued once that window has
 * passed gets a revived job, a new one to the queue (one per window; its claim is
 * conditional, so a surplus job sends nothing). Runs from the Worker's cron and on an
 * interval in the Node process.
 */
export async function requeueStuckMessages(s: Services, olderThanS = STUCK_AFTER_S): Promise<number> {
  const stuck = await asApp(s.db, (tx) =>
    tx.execute<{ message_id: string; workspace_id: string; whatsapp_number_id: string }>(sql`select * from sandesh_stuck_messages(${olderThanS}, 500)`),
  );
  const now = s.clock.now();
  let queued = 0;
  for (const m of stuck) {
    const [r] = await withTenant(s.db, m.workspace_id, (tx) =>
      tx.execute<{ again: boolean; mps: number }>(sql`
        -- By primary key behind the fence (lib/jobs/claim.ts): with statistics from before a burst,
        -- "id = x and status = 'queued'" walked messages_queued through every queued message.
        with o as materialized (${lockedByIds([m.message_id], { where: sql`status = 'queued' and (claimed_until is null or claimed_until < ${now.toISOString()})`, strength: "update" })})
        update messages t set claimed_until = ${new Date(now.getTime() + REQUEUE_WINDOW_MS).toISOString()}
        from o, whatsapp_numbers n
        where t.id = o.id and o.matches and n.id = t.whatsapp_number_id
        returning (o.claimed_until is not null) as again, n.throughput_mps as mps`),
    );
    if (!r) continue; // enqueued again within the window: its job has time yet
    const revival = r.again ? { revival: Math.floor(now.getTime() / REQUEUE_WINDOW_MS) } : {};
    await s.queue.enqueueSend({ messageId: m.message_id, workspaceId: m.workspace_id, ...revival }, { numberId: m.whatsapp_number_id, perSecond: r.mps });
    queued++;
  }
  if (stuck.length) s.logger.warn("re-enqueued stuck messages", { count: stuck.length });
  return stuck.length;
}

/**
 * Applies backlogged Meta statuses whose wamid a message now carries. The send job
 * drains the backlog as it records a wamid; this catches a status that missed that
 * moment (a process stopped in between), so a message cannot stay `sent` while Meta
 * said `read`. Per workspace, under its RLS scope, with the same locks as the send job.
 */
export async function applyStrandedStatuses(s: Services, olderThanS = STUCK_AFTER_S): Promise<number> {
  const stranded = await asApp(s.db, (tx) => tx.execute<{ workspace_id: string; wamid: string }>(sql`select * from sandesh_stranded_statuses(${olderThanS}, 500)`));
  const forwarded: string[] = [];
  for (const [workspaceId, rows] of groupBy(stranded, (r) => r.workspace_id)) {
    const wamids = rows.map((r) => r.wamid);
    const n = await withTenant(s.db, workspaceId, async (tx) => recordEvents(s, tx, workspaceId, await applyBacklogFor(tx, workspaceId, wamids)));
    if (n) forwarded.push(workspaceId);
  }
  if (forwarded.length) await dispatchRecorded(s, forwarded);
  if (stranded.length) s.logger.warn("applied stranded Meta statuses", { wamids: stranded.length });
  return stranded.length;
}

/** Meta reports a message within seconds; a backlogged status no message claimed in 7 days never will be. */
export const BACKLOG_TTL_S = 7 * 24 * 3600;

/** Deletes backlogged statuses older than BACKLOG_TTL_S (a bounded number per run), so the backlog cannot grow without end. */
export async function expireStatusBacklog(s: Services, olderThanS = BACKLOG_TTL_S): Promise<number> {
  const [r] = await asApp(s.db, (tx) => tx.execute<{ n: number }>(sql`select sandesh_expire_status_backlog(${olderThanS}, 10000) as n`));
  if (r?.n) s.logger.warn("expired backlogged Meta statuses no message claimed", { count: r.n });
  return r?.n ?? 0;
}
