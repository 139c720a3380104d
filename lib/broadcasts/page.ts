import type { Audience, BroadcastTemplate, TemplateCategory } from "../../db/schema/index.js";
import { withTenantSql } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { uuidv7 } from "../ids.js";
import type { SendJob } from "../queue/port.js";
import { audiencePage, skipReason, type SkipReason } from "./audience.js";
import { fillComponents } from "./placeholders.js";
import { takeTier, tierLimit } from "./tier.js";

/** Contacts per page: one transaction writes a page's messages, their jobs and the cursor. */
export const PAGE_SIZE = 1000;
/** Recipients beyond the messaging tier wait for the next window. */
export const TIER_WINDOW_MS = 24 * 3600 * 1000;

interface Locked {
  status: string;
  cursor_id: string | null;
  audience_done: boolean;
  tier_remaining: number | null;
  whatsapp_number_id: string;
  template: BroadcastTemplate;
  category: TemplateCategory;
  audience: Audience;
  throughput_mps: number;
  messaging_tier: string;
}

export interface PageResult {
  /** false: the broadcast was canceled, finished, or its audience was already done. */
  wrote: boolean;
  audienceDone: boolean;
  /** Jobs the caller must publish after the commit (a queue outside the database). */
  jobs: SendJob[];
  numberId: string;
  perSecond: number;
}

/**
 * One page of the run, in one transaction under the tenant's scope: locks the broadcast
 * row (a duplicated run waits here, then reads the cursor the first one advanced), pages
 * the audience after the cursor, counts skips by reason, writes one message per
 * recipient (unique per broadcast and contact, so nothing is ever written twice), puts
 * their jobs in the same transaction when the queue lives in this database, and moves
 * the cursor. A paused broadcast keeps writing its rows, without jobs: resume queues them.
 */
export async function writePage(s: Services, workspaceId: string, broadcastId: string, needsOptIn: boolean): Promise<PageResult> {
  const q = s.queue;
  const now = s.clock.now();
  return withTenantSql(s.db, workspaceId, async (t) => {
    const [b] = await t<Locked[]>`
      select b.status, b.cursor_id, b.audience_done, b.tier_remaining, b.whatsapp_number_id, b.template, b.category, b.audience, n.throughput_mps, n.messaging_tier
      from broadcasts b join whatsapp_numbers n on n.id = b.whatsapp_number_id where b.id = ${broadcastId} for update of b`;
    const none = { wrote: false, audienceDone: true, jobs: [], numberId: b?.whatsapp_number_id ?? "", perSecond: b?.throughput_mps ?? 80 };
    if (!b || b.audience_done || (b.status !== "running" && b.status !== "paused")) return none;
    const page = await audiencePage(t, b.audience, b.cursor_id, PAGE_SIZE);
    const skipped: Partial<Record<SkipReason, number>> = {};
    const skip = (r: SkipReason) => (skipped[r] = (skipped[r] ?? 0) + 1);
    const candidates: { c: (typeof page)[number]; components: unknown[] | undefined }[] = [];
    for (const c of page) {
      const why = skipReason(c, b.category === "MARKETING" && needsOptIn);
      if (why) {
        skip(why);
        continue;
      }
      const components = b.template.components ? fillComponents(b.template.components, c) : undefined;
      if (components === null) {
        skip("missing_value");
        continue;
      }
      candidates.push({ c, components });
    }
    // The messaging tier, in the gate's own set: recipients beyond it wait for the next window.
    const tier = candidates.length ? await takeTier(s.redis, s.clock, workspaceId, b.whatsapp_number_id, b.messaging_tier, candidates.map((x) => x.c.wa_id)) : null;
    const later = new Date(now.getTime() + TIER_WINDOW_MS).toISOString();
    let deferred = 0;
    const rows = candidates.map(({ c, components }, i) => {
      const waits = tier ? !tier.now[i] : false;
      if (waits) deferred++;
      const template = { name: b.template.name, language: b.template.language, ...(components ? { components } : {}) };
      return { id: uuidv7(now.getTime()), contactId: c.id, recipient: c.wa_id, payload: { to: c.wa_id, type: "template", template }, notBefore: waits ? later : null };
    });
    const limit = tierLimit(b.messaging_tier);
    const tierLeft = limit === 0 ? null : tier ? Math.max(0, limit - tier.used) : b.tier_remaining;
    const inserted = rows.length
      ? await t<{ id: string; not_before: Date | null }[]>`
          insert into messages (id, workspace_id, whatsapp_number_id, contact_id, broadcast_id, direction, recipient, type, payload, status, declared_category, not_before, created_at, updated_at)
          select x."id", ${workspaceId}, ${b.whatsapp_number_id}, x."contactId", ${broadcastId}, 'outbound', x."recipient", 'template', x."payload", 'queued', ${b.category}, x."notBefore", ${now.toISOString()}, ${now.toISOString()}
          from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x("id" uuid, "contactId" uuid, "recipient" text, "payload" jsonb, "notBefore" timestamptz)
          on conflict do nothing
          returning id, not_before`
      : [];
    const jobs: SendJob[] = b.status === "running" ? inserted.map((m) => ({ messageId: m.id, workspaceId, ...(m.not_before ? { notBefore: new Date(m.not_before).getTime() } : {}) })) : [];
    const audienceDone = page.length < PAGE_SIZE;
    await t`
      update broadcasts set cursor_id = ${page.at(-1)?.id ?? b.cursor_id}, audience_done = ${audienceDone},
        targeted = targeted + ${inserted.length}, tier_remaining = ${tierLeft}, tier_deferred = tier_deferred + ${deferred},
        skipped = (select coalesce(jsonb_object_agg(k, coalesce((skipped->>k)::int, 0) + coalesce((${JSON.stringify(skipped)}::jsonb->>k)::int, 0)), '{}')
                   from (select jsonb_object_keys(skipped || ${JSON.stringify(skipped)}::jsonb) as k) keys),
        updated_at = ${now.toISOString()}
      where id = ${broadcastId}`;
    if (q.insertSendsIn && jobs.length) {
      await q.insertSendsIn((text, values) => t.unsafe(text, values as never[]).then((r) => [...r]), jobs);
      return { wrote: true, audienceDone, jobs: [], numberId: b.whatsapp_number_id, perSecond: b.throughput_mps };
    }
    return { wrote: true, audienceDone, jobs, numberId: b.whatsapp_number_id, perSecond: b.throughput_mps };
  });
}

/** Hands jobs to a queue outside the database, after the commit (a crash in between: the stuck sweep queues them). */
export async function publishJobs(s: Services, jobs: SendJob[], numberId: string, perSecond: number): Promise<void> {
  await Promise.all(jobs.map((j) => s.queue.enqueueSend(j, { numberId, perSecond })));
}
