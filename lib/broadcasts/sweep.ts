import { sql } from "drizzle-orm";
import { asApp } from "../../db/tenant.js";
import type { Services } from "../context.js";

/** A running broadcast whose row has not moved for this long has lost its job (a killed process, a lost delivery). */
export const STALLED_AFTER_S = 120;

/**
 * The triggers that were lost: broadcasts scheduled and due that never started,
 * running ones whose run stopped, and paused ones whose run died before their audience
 * was written (the run writes the rest, sending nothing until resume). Each gets a run job; a run that was merely slow and a
 * second job meet at the row's lock, and the cursor keeps either from writing twice.
 * Runs from the Worker's cron and on an interval (and once at start) in the Node process.
 */
export async function sweepBroadcasts(s: Services, stalledAfterS = STALLED_AFTER_S): Promise<number> {
  const due = await asApp(s.db, (tx) => tx.execute<{ broadcast_id: string; workspace_id: string }>(sql`select * from sandesh_due_broadcasts(${stalledAfterS}, 100)`));
  for (const b of due) await s.queue.enqueueBroadcast({ broadcastId: b.broadcast_id, workspaceId: b.workspace_id });
  if (due.length) s.logger.warn("broadcasts restarted by the sweep", { count: due.length });
  return due.length;
}
