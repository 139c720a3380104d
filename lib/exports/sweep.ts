import { and, eq, sql } from "drizzle-orm";
import { dataExports, exportChunks } from "../../db/schema/index.js";
import { asApp, withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { enqueueProduction } from "./enqueue.js";

/** An approved export whose production has not moved for this long has lost its job. */
export const EXPORT_STALLED_AFTER_S = 300;

/**
 * Files past their 24 h are expired and their chunks deleted (audited); chunks a download
 * cut short left behind are deleted; approved exports whose job was lost get a new one.
 * Node interval and Worker cron, like retention. Returns how many exports it settled.
 */
export async function sweepExports(s: Services, stalledAfterS = EXPORT_STALLED_AFTER_S): Promise<number> {
  const due = await asApp(s.db, (tx) => tx.execute<{ export_id: string; workspace_id: string; status: string }>(sql`select * from sandesh_due_exports(${stalledAfterS}, 100)`));
  const revival = s.clock.now().getTime();
  for (const e of due) {
    if (e.status === "queued" || e.status === "producing") {
      await enqueueProduction(s, e.workspace_id, e.export_id, revival);
      continue;
    }
    await withTenant(s.db, e.workspace_id, async (tx) => {
      if (e.status === "ready") {
        // Only while still ready and past its time: a download that claimed it meanwhile keeps its chunks.
        const [r] = await tx.update(dataExports).set({ status: "expired", updatedAt: s.clock.now() }).where(and(eq(dataExports.id, e.export_id), eq(dataExports.status, "ready"), sql`${dataExports.readyAt} < now() - interval '24 hours'`)).returning({ id: dataExports.id });
        if (!r) return;
        await recordAudit(tx, { actorType: "system", actorId: null, workspaceId: e.workspace_id, action: "export.expired", objectType: "export", objectId: e.export_id });
      }
      await tx.delete(exportChunks).where(eq(exportChunks.exportId, e.export_id));
    });
  }
  if (due.length) s.logger.info("exports settled by the sweep", { count: due.length });
  return due.length;
}
