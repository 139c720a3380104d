import { eq, sql } from "drizzle-orm";
import { whatsappNumbers } from "../../db/schema/index.js";
import { asApp, withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { applyBacklogFor } from "../ingest/statuses.js";
import { dispatchRecorded, recordEvents } from "../webhooks/emit.js";
import { groupBy } from "../group.js";

export const STUCK_AFTER_S = 120;

/**
 * Re-enqueues messages left `queued` with no job (a crash between commit and enqueue).
 * Safe to run anywhere, any time: both queues drop a second job for the same message.
 * Runs from the Worker's cron and on an interval in the Node process.
 */
export async function requeueStuckMessages(s: Services, olderThanS = STUCK_AFTER_S): Promise<number> {
  const stuck = await asApp(s.db, (tx) =>
    tx.execute<{ message_id: string; workspace_id: string; whatsapp_number_id: string }>(sql`select * from sandesh_stuck_messages(${olderThanS}, 500)`),
  );
  for (const m of stuck) {
    const [n] = await withTenant(s.db, m.workspace_id, (tx) => tx.select({ mps: whatsappNumbers.throughputMps }).from(whatsappNumbers).where(eq(whatsappNumbers.id, m.whatsapp_number_id)));
    await s.queue.enqueueSend({ messageId: m.message_id, workspaceId: m.workspace_id }, { numberId: m.whatsapp_number_id, perSecond: n?.mps ?? 80 });
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
