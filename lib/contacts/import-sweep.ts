import { sql } from "drizzle-orm";
import { asApp } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { abandon } from "./import-receive.js";

/** A queued or running import whose checkpoint has not moved for this long has lost its job. */
export const IMPORT_STALLED_AFTER_S = 120;

/**
 * Imports whose job was lost (a failed enqueue, a killed process, retries spent) get a new
 * one from their checkpoint; uploads that never finished (the process died mid-body) are
 * failed and their chunks dropped. A run that was merely slow and the new job meet at the
 * checkpoint: whichever commits second writes nothing. Node interval and Worker cron.
 */
export async function sweepImports(s: Services, stalledAfterS = IMPORT_STALLED_AFTER_S): Promise<number> {
  const stalled = await asApp(s.db, (tx) => tx.execute<{ import_id: string; workspace_id: string; status: string }>(sql`select * from sandesh_stalled_imports(${stalledAfterS}, 100)`));
  const revival = s.clock.now().getTime();
  for (const i of stalled) {
    if (i.status === "receiving") await abandon(s, i.workspace_id, i.import_id, "the upload broke off before the end of the file");
    else await s.queue.enqueueImport({ importId: i.import_id, workspaceId: i.workspace_id, revival });
  }
  if (stalled.length) s.logger.warn("imports restarted by the sweep", { count: stalled.length });
  return stalled.length;
}
