import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { cardCurrency, formatMicros, priceOf } from "./price.js";

export interface BroadcastCounts {
  targeted: number;
  skipped: Record<string, number>;
  /** Recipients beyond the messaging tier: queued for the next window. */
  waiting_for_tier: number;
  queued: number;
  /** Reached Meta (sent, delivered or read); delivered includes read. */
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  failed_by_code: Record<string, number>;
  canceled: number;
  cost: { currency: string | null; amount: string; billable: number; unpriced: number };
}

/**
 * Live counts, read from the messages themselves (by the broadcast's index) and the
 * skips the run counted on the row. Cost: Meta's status webhooks say which messages are
 * billable and in which category; the workspace's rate card prices them by country.
 */
export async function broadcastCounts(tx: Tx, broadcastId: string): Promise<BroadcastCounts> {
  const [b] = await tx.execute<{ targeted: number; skipped: Record<string, number> }>(sql`select targeted, skipped from broadcasts where id = ${broadcastId}`);
  const byStatus = await tx.execute<{ status: string; code: number | null; n: number; waiting: number }>(sql`
    select status, case when status = 'failed' then error_code end as code, count(*)::int as n,
      count(*) filter (where status = 'queued' and not_before > now())::int as waiting
    from messages where broadcast_id = ${broadcastId} group by 1, 2`);
  const [cost] = await tx.execute<{ micros: string | null; billable: number; unpriced: number; currency: string | null }>(sql`
    select sum(p.price)::text as micros, count(*)::int as billable, count(*) filter (where p.price is null)::int as unpriced, ${cardCurrency} as currency
    from messages m cross join lateral (select ${priceOf(sql`m.recipient`, sql`(m.pricing->>'category')`)} as price) p
    where m.broadcast_id = ${broadcastId} and (m.pricing->>'billable')::boolean is true`);
  const n = (...st: string[]) => byStatus.filter((r) => st.includes(r.status)).reduce((a, r) => a + r.n, 0);
  const failedByCode: Record<string, number> = {};
  for (const r of byStatus) if (r.status === "failed") failedByCode[r.code === null ? "none" : String(r.code)] = (failedByCode[r.code === null ? "none" : String(r.code)] ?? 0) + r.n;
  return {
    targeted: b?.targeted ?? 0,
    skipped: b?.skipped ?? {},
    waiting_for_tier: byStatus.reduce((a, r) => a + r.waiting, 0),
    queued: n("queued", "sending", "retrying"),
    sent: n("sent", "delivered", "read"),
    delivered: n("delivered", "read"),
    read: n("read"),
    failed: n("failed"),
    failed_by_code: failedByCode,
    canceled: n("canceled"),
    cost: { currency: cost?.currency ?? null, amount: formatMicros(Number(cost?.micros ?? 0)), billable: cost?.billable ?? 0, unpriced: cost?.unpriced ?? 0 },
  };
}
