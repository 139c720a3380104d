import { withTenantSql } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { BEFORE_EVERY_ID } from "../ids.js";
import type { SendJob } from "../queue/port.js";
import type { TransactionSql } from "postgres";
import { PAGE_SIZE, publishJobs, TIER_WINDOW_MS } from "./page.js";
import { statusPage } from "./status-page.js";
import { takeTier, tierLimit } from "./tier.js";

/**
 * The tier's room, taken again for queued messages due now (a pause gave it back, and a
 * paused run's rows took none): recipients beyond it wait for the next window, counted
 * on the row as the run counts them. Answers the new not-before of each message that waits.
 */
async function retakeTier(s: Services, t: TransactionSql, workspaceId: string, broadcastId: string, numberId: string, tier: string, rows: { id: string; recipient: string; contact_id: string; not_before: Date | null }[]): Promise<Map<string, number>> {
  const limit = tierLimit(tier);
  const now = s.clock.now().getTime();
  const due = rows.filter((m) => !m.not_before || new Date(m.not_before).getTime() <= now);
  const waits = new Map<string, number>();
  if (limit === 0 || !due.length) return waits;
  const taken = await takeTier(s.redis, s.clock, workspaceId, numberId, tier, due.map((m) => m.recipient), { broadcastId, contactIds: due.map((m) => m.contact_id) });
  const later = now + TIER_WINDOW_MS;
  due.forEach((m, i) => (taken.now[i] ? undefined : waits.set(m.id, later)));
  if (waits.size) await t`update messages set not_before = ${new Date(later).toISOString()} where id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify([...waits.keys()])}::jsonb))`;
  await t`update broadcasts set tier_remaining = ${Math.max(0, limit - taken.used)}, tier_deferred = tier_deferred + ${waits.size} where id = ${broadcastId}`;
  return waits;
}

/**
 * After resume: the broadcast's messages still `queued` get jobs again (their earlier
 * jobs found the broadcast paused and ended, or were never made while it was paused).
 * Marked with the resume count, so the queue takes them as new jobs; a message whose
 * old job is still waiting has two, and the claim lets only one of them send. A tier
 * wait keeps its time; the others take the tier's room again first. Runs from the start again after a crash: harmless, for the same reason.
 */
export async function requeueQueued(s: Services, workspaceId: string, broadcastId: string): Promise<number> {
  let after = BEFORE_EVERY_ID;
  let total = 0;
  for (;;) {
    const page = await withTenantSql(s.db, workspaceId, async (t) => {
      const [b] = await t<{ status: string; resumes: number; whatsapp_number_id: string; mps: number; tier: string }[]>`
        select b.status, b.resumes, b.whatsapp_number_id, n.throughput_mps as mps, n.messaging_tier as tier from broadcasts b join whatsapp_numbers n on n.id = b.whatsapp_number_id where b.id = ${broadcastId}`;
      if (!b || b.status !== "running") return null;
      const rows = await statusPage<{ id: string; recipient: string; contact_id: string; not_before: Date | null }[]>(t, broadcastId, ["queued"], after, PAGE_SIZE, "id, recipient, contact_id, not_before");
      const waits = await retakeTier(s, t, workspaceId, broadcastId, b.whatsapp_number_id, b.tier, rows);
      const jobs: SendJob[] = rows.map((m) => {
        const notBefore = waits.get(m.id) ?? (m.not_before ? new Date(m.not_before).getTime() : null);
        return { messageId: m.id, workspaceId, resumed: b.resumes, ...(notBefore ? { notBefore } : {}) };
      });
      if (s.queue.insertSendsIn && jobs.length) {
        await s.queue.insertSendsIn((text, values) => t.unsafe(text, values as never[]).then((r) => [...r]), jobs);
        return { rows, jobs: [] as SendJob[], b };
      }
      return { rows, jobs, b };
    });
    if (!page) return total;
    if (page.jobs.length) await publishJobs(s, page.jobs, page.b.whatsapp_number_id, page.b.mps);
    total += page.rows.length;
    if (page.rows.length < PAGE_SIZE) break;
    after = page.rows.at(-1)!.id;
  }
  await withTenantSql(s.db, workspaceId, async (t) => {
    await t`update broadcasts set requeue = false where id = ${broadcastId} and status = 'running'`;
  });
  return total;
}
