import { sql } from "drizzle-orm";
import { asApp } from "../../db/tenant.js";
import type { Services } from "../context.js";

/** Rows deleted per statement, of each kind. */
export const LAPSED_BATCH = 1000;
/** Statements per sweep; the next sweep carries on. */
const MAX_BATCHES = 20;

/**
 * Deletes the sessions and invitations that can no longer let anyone in
 * (sandesh_purge_lapsed_access, migration 0035): a session revoked, past its absolute
 * expiry or idle past IDLE_MS; an invitation accepted, revoked or expired 30 days ago.
 * Node interval and Worker cron. Returns how many of each it deleted.
 */
export async function purgeLapsedAccess(s: Services, batch = LAPSED_BATCH): Promise<{ sessions: number; invitations: number }> {
  const total = { sessions: 0, invitations: 0 };
  for (let i = 0; i < MAX_BATCHES; i++) {
    const [row] = await asApp(s.db, (tx) => tx.execute<{ sessions_deleted: number; invitations_deleted: number }>(sql`select * from sandesh_purge_lapsed_access(${batch})`));
    total.sessions += row?.sessions_deleted ?? 0;
    total.invitations += row?.invitations_deleted ?? 0;
    if ((row?.sessions_deleted ?? 0) < batch && (row?.invitations_deleted ?? 0) < batch) break;
  }
  if (total.sessions || total.invitations) s.logger.info("lapsed sessions and invitations purged", total);
  return total;
}
