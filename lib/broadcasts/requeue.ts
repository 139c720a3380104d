import { withTenantSql } from "../../db/tenant.js";
import type { Services } from "../context.js";
import type { SendJob } from "../queue/port.js";
import { PAGE_SIZE, publishJobs } from "./page.js";

/**
 * After resume: the broadcast's messages still `queued` get jobs again (their earlier
 * jobs found the broadcast paused and ended, or were never made while it was paused).
 * Marked with the resume count, so the queue takes them as new jobs; a message whose
 * old job is still waiting has two, and the claim lets only one of them send. A tier
 * wait keeps its time. Runs from the start again after a crash: harmless, for the same reason.
 */
export async function requeueQueued(s: Services, workspaceId: string, broadcastId: string): Promise<number> {
  let after = "00000000-0000-0000-0000-000000000000";
  let total = 0;
  for (;;) {
    const page = await withTenantSql(s.db, workspaceId, async (t) => {
      const [b] = await t<{ status: string; resumes: number; whatsapp_number_id: string; mps: number }[]>`
        select b.status, b.resumes, b.whatsapp_number_id, n.throughput_mps as mps from broadcasts b join whatsapp_numbers n on n.id = b.whatsapp_number_id where b.id = ${broadcastId}`;
      if (!b || b.status !== "running") return null;
      const rows = await t<{ id: string; not_before: Date | null }[]>`
        select id, not_before from messages where broadcast_id = ${broadcastId} and status = 'queued' and id > ${after}::uuid order by id limit ${PAGE_SIZE}`;
      const jobs: SendJob[] = rows.map((m) => ({ messageId: m.id, workspaceId, resumed: b.resumes, ...(m.not_before ? { notBefore: new Date(m.not_before).getTime() } : {}) }));
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
