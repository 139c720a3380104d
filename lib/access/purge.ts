import { sql } from "drizzle-orm";
import { asApp } from "../../db/tenant.js";
import type { Services } from "../context.js";

/** Records deleted per statement. */
export const ACCESS_PURGE_BATCH = 2000;
/** Statements per sweep; the next sweep carries on. */
const MAX_BATCHES = 20;

/**
 * Deletes read records older than the workspace's retention (message_retention_days),
 * or 365 days where it sets none (sandesh_purge_data_access, migration 0038). Node
 * interval and Worker cron, beside the content purge. Returns how many it deleted.
 */
export async function purgeDataAccess(s: Services, batch = ACCESS_PURGE_BATCH): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const [row] = await asApp(s.db, (tx) => tx.execute<{ n: number }>(sql`select sandesh_purge_data_access(${batch}) as n`));
    const n = row?.n ?? 0;
    total += n;
    if (n < batch) break;
  }
  if (total) s.logger.info("read records purged by retention", { count: total });
  return total;
}
