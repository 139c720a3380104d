import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { asApp, withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { REMOVED_PAYLOAD } from "./removed.js";

/** Messages purged per transaction: bounded locks and WAL per step, whatever a workspace holds. */
export const PURGE_BATCH = 500;
/** Batches per workspace per sweep; the next sweep carries on where this one stopped. */
const MAX_BATCHES = 20;

/**
 * Retention (workspaces.message_retention_days): message content older than the
 * workspace keeps is purged — the payload (body, template parameters, media ids) becomes
 * `{type, removed: true}` and the media named are forgotten — while the row, its status, its timestamps and so every count and report stay. A
 * message still to be sent (queued, sending, retrying) keeps what it needs to be sent.
 * Batched (PURGE_BATCH rows a transaction, SKIP LOCKED so concurrent sweeps share the
 * work) and idempotent: a purged row has content_removed_at and is never chosen again.
 * Node interval and Worker cron. Returns how many messages it purged.
 */
export async function purgeExpiredContent(s: Services, batch = PURGE_BATCH): Promise<number> {
  const due = await asApp(s.db, (tx) => tx.execute<{ workspace_id: string; days: number }>(sql`select * from sandesh_retention_workspaces()`));
  let total = 0;
  for (const w of due) {
    const before = new Date(s.clock.now().getTime() - w.days * 86_400_000).toISOString();
    for (let i = 0; i < MAX_BATCHES; i++) {
      const n = await withTenant(s.db, w.workspace_id, (tx) => purgeBatch(tx, before, batch));
      total += n;
      if (n < batch) break;
    }
  }
  if (total) s.logger.info("message content purged by retention", { count: total });
  return total;
}

async function purgeBatch(tx: Tx, before: string, batch: number): Promise<number> {
  const rows = await tx.execute<{ n: number }>(sql`
    with doomed as (
      select id, payload -> type ->> 'id' as media_id from messages
      where content_removed_at is null and created_at < ${before} and status not in ('queued', 'sending', 'retrying')
      order by created_at limit ${batch} for update skip locked
    ), forgotten as (
      delete from media where media_id in (select media_id from doomed where media_id is not null)
    ), purged as (
      update messages m set payload = ${REMOVED_PAYLOAD}, error_details = null,
        content_removed_at = now(), updated_at = now()
      from doomed where m.id = doomed.id returning m.id
    )
    select count(*)::int as n from purged`);
  return rows[0]?.n ?? 0;
}
