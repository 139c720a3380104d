import type { Audience, BroadcastTemplate, TemplateCategory } from "../../db/schema/index.js";
import { withTenantSql } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { uuidv7 } from "../ids.js";
import type { SendJob } from "../queue/port.js";
import { audiencePage, skipReason, type SkipReason } from "./audience.js";
import { fillComponents, hasPlaceholders } from "./placeholders.js";
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
  throughput_mps: number;
  messaging_tier: string;
}

export interface PageResult {
  /** false: the broadcast was canceled, finished, or its audience was already done (or `moved`). */
  wrote: boolean;
  /** A page read ahead found the cursor elsewhere and wrote nothing (PageAhead). */
  moved?: boolean;
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
 *
 * Round trips are what a page costs when the send workers share the process and the
 * database (bench/broadcast.ts): the lock and the page go out together (the page reads
 * the cursor after the lock is held), and so do the rows with the cursor's move and the
 * jobs, optimistically for every row; when a row was there already (a resumed or
 * duplicated run) that attempt is rolled back and the page written again with jobs only
 * for the rows that went in. The audience is the broadcast's own, fixed at creation.
 */
export async function writePage(s: Services, workspaceId: string, broadcastId: string, audience: Audience, needsOptIn: boolean, ahead: PageAhead = {}): Promise<PageResult> {
  try {
    return await attemptPage(s, workspaceId, broadcastId, audience, needsOptIn, true, ahead);
  } catch (err) {
    // Read ahead from where the cursor is not (the page before it failed, or another run
    // moved it): nothing is written, and the run starts again from the cursor.
    if (err === CURSOR_MOVED) return { wrote: false, moved: true, audienceDone: false, jobs: [], numberId: "", perSecond: 0 };
    if (err !== ROW_EXISTED) throw err;
    // Written again the careful way: the cursor read under the lock, jobs for what went in.
    return attemptPage(s, workspaceId, broadcastId, audience, needsOptIn, false, { ...ahead, after: undefined });
  }
}

/**
 * A page read ahead: `after` is where the page before it ends (its last contact), so this
 * page's contacts are read while that one is still writing, before this one's lock is
 * granted; under the lock the cursor must be exactly there, else nothing is written
 * (`moved`). `onRead` hears of a page's contacts once it holds the lock and will write
 * them: the run starts the next page then, so at most two are in flight, the one
 * writing and the one reading ahead of it.
 */
export interface PageAhead {
  after?: string | undefined;
  onRead?: (last: string | undefined, count: number) => void;
}

const ROW_EXISTED = new Error("a row of the page was written before; write it carefully");
const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === "23505";
const CURSOR_MOVED = new Error("the cursor is not where the page was read ahead from");

async function attemptPage(s: Services, workspaceId: string, broadcastId: string, audience: Audience, needsOptIn: boolean, optimistic: boolean, ahead: PageAhead): Promise<PageResult> {
  const q = s.queue;
  const now = s.clock.now();
  return withTenantSql(s.bulkDb ?? s.db, workspaceId, async (t) => {
    // The page's commit does not wait for its WAL to reach disk (about a fifth of a page
    // under load). A crash can lose only the last pages, rows, jobs and cursor together,
    // and the restarted run writes them again. Nothing of them reaches Meta first: a send
    // is posted only after its claim and posting mark commit, synchronously, and that
    // flush carries every earlier commit's WAL, this page's included.
    const durability = t`select set_config('synchronous_commit', 'off', true)`.execute();
    // Statements on a connection run in order: read ahead, the contacts go first and the
    // lock waits behind them; otherwise the page reads the cursor once the lock is held.
    const read = () => audiencePage(t, audience, ahead.after ?? { broadcastId }, PAGE_SIZE);
    const early = ahead.after ? read() : undefined;
    const lock = t<Locked[]>`
        select b.status, b.cursor_id, b.audience_done, b.tier_remaining, b.whatsapp_number_id, b.template, b.category, n.throughput_mps, n.messaging_tier
        from broadcasts b join whatsapp_numbers n on n.id = b.whatsapp_number_id where b.id = ${broadcastId} for update of b`.execute();
    const [, [b], page] = await Promise.all([durability, lock, early ?? read()]);
    if (ahead.after && b && !b.audience_done && b.cursor_id !== ahead.after) throw CURSOR_MOVED;
    const none = { wrote: false, audienceDone: true, jobs: [], numberId: b?.whatsapp_number_id ?? "", perSecond: b?.throughput_mps ?? 80 };
    if (!b || b.audience_done || (b.status !== "running" && b.status !== "paused")) return none;
    ahead.onRead?.(page.at(-1)?.id, page.length);
    const skipped: Partial<Record<SkipReason, number>> = {};
    const skip = (r: SkipReason) => (skipped[r] = (skipped[r] ?? 0) + 1);
    const candidates: { c: (typeof page)[number]; components: unknown[] | undefined }[] = [];
    // Components without a placeholder are the same for all: they go once, in the head below.
    const perRecipient = b.template.components && hasPlaceholders(b.template.components) ? b.template.components : undefined;
    for (const c of page) {
      const why = skipReason(c, b.category === "MARKETING" && needsOptIn);
      if (why) {
        skip(why);
        continue;
      }
      const components = perRecipient ? fillComponents(perRecipient, c) : undefined;
      if (components === null) {
        skip("missing_value");
        continue;
      }
      candidates.push({ c, components });
    }
    // The messaging tier, in the gate's own set: recipients beyond it wait for the next window.
    // An unlimited tier takes nothing (the script would answer "now" for all): no round trip.
    // A paused broadcast's rows take none (resume takes it: requeue.ts).
    const limit = tierLimit(b.messaging_tier);
    const tier = candidates.length && limit !== 0 && b.status === "running" ? await takeTier(s.redis, s.clock, workspaceId, b.whatsapp_number_id, b.messaging_tier, candidates.map((x) => x.c.wa_id), { broadcastId, contactIds: candidates.map((x) => x.c.id) }) : null;
    const later = new Date(now.getTime() + TIER_WINDOW_MS).toISOString();
    let deferred = 0;
    const rows = candidates.map(({ c, components }, i) => {
      const waits = tier ? !tier.now[i] : false;
      if (waits) deferred++;
      return { id: uuidv7(now.getTime()), contactId: c.id, recipient: c.wa_id, ...(components ? { components } : {}), ...(waits ? { notBefore: later } : {}) };
    });
    // What every recipient's payload shares, sent once: each row carries only its own.
    const head = { name: b.template.name, language: b.template.language, ...(b.template.components && !perRecipient ? { components: b.template.components } : {}) };
    const tierLeft = limit === 0 ? null : tier ? Math.max(0, limit - tier.used) : b.tier_remaining;
    const audienceDone = page.length < PAGE_SIZE;
    // The rows and the cursor's move in one statement, run for every page (one whose
    // contacts were all skipped, or the empty last one, still moves the cursor): targeted
    // counts the rows that went in.
    const written = t<{ id: string; not_before: Date | null }[]>`
      with m as (
        insert into messages (id, workspace_id, whatsapp_number_id, contact_id, broadcast_id, direction, recipient, type, payload, status, declared_category, not_before, created_at, updated_at)
        select x."id", ${workspaceId}, ${b.whatsapp_number_id}, x."contactId", ${broadcastId}, 'outbound', x."recipient", 'template',
          jsonb_build_object('to', x."recipient", 'type', 'template', 'template', ${JSON.stringify(head)}::jsonb || case when x."components" is null then '{}'::jsonb else jsonb_build_object('components', x."components") end),
          'queued', ${b.category}, x."notBefore", ${now.toISOString()}, ${now.toISOString()}
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x("id" uuid, "contactId" uuid, "recipient" text, "components" jsonb, "notBefore" timestamptz)
        ${optimistic && q.insertSendsIn ? t`` : t`on conflict do nothing`}
        returning id, not_before
      ), cursor as (
        update broadcasts set cursor_id = ${page.at(-1)?.id ?? b.cursor_id}, audience_done = ${audienceDone},
          targeted = targeted + (select count(*) from m), tier_remaining = ${tierLeft}, tier_deferred = tier_deferred + ${deferred},
          skipped = (select coalesce(jsonb_object_agg(k, coalesce((skipped->>k)::int, 0) + coalesce((${JSON.stringify(skipped)}::jsonb->>k)::int, 0)), '{}')
                     from (select jsonb_object_keys(skipped || ${JSON.stringify(skipped)}::jsonb) as k) keys),
          updated_at = ${now.toISOString()}
        where id = ${broadcastId}
      )
      select id, not_before from m`;
    const jobsOf = (ms: { id: string; notBefore: number | null }[]): SendJob[] =>
      b.status === "running" ? ms.map((m) => ({ messageId: m.id, workspaceId, ...(m.notBefore ? { notBefore: m.notBefore } : {}) })) : [];
    // A page's sends go as batch jobs where the queue has them: a job per SEND_BATCH messages.
    const sameTransaction = (jobs: SendJob[]) => (q.insertSendBatchesIn ?? q.insertSendsIn)!((text, values) => t.unsafe(text, values as never[], { prepare: true }).then((r) => [...r]), jobs);
    const result = (jobs: SendJob[]) => ({ wrote: true, audienceDone, jobs, numberId: b.whatsapp_number_id, perSecond: b.throughput_mps });
    if (optimistic && q.insertSendsIn) {
      // Every row's job beside the rows, in the same round trip.
      const jobs = jobsOf(rows.map((r) => ({ id: r.id, notBefore: r.notBefore ? Date.parse(r.notBefore) : null })));
      // Without a conflict clause (it checks every unique index of a row before inserting
      // it): a row there already fails the statement, and the jobs after it with the transaction.
      const [inserted, queued] = await Promise.allSettled([written, jobs.length ? sameTransaction(jobs) : undefined]);
      if (inserted.status === "rejected") throw isUniqueViolation(inserted.reason) ? ROW_EXISTED : inserted.reason;
      if (queued.status === "rejected") throw queued.reason;
      if (inserted.value.length < rows.length) throw ROW_EXISTED;
      return result([]);
    }
    const inserted = await written;
    const jobs = jobsOf(inserted.map((m) => ({ id: m.id, notBefore: m.not_before ? new Date(m.not_before).getTime() : null })));
    if (q.insertSendsIn && jobs.length) {
      await sameTransaction(jobs);
      return result([]);
    }
    return result(jobs);
  });
}

/** Hands jobs to a queue outside the database, after the commit (a crash in between: the stuck sweep queues them). */
export async function publishJobs(s: Services, jobs: SendJob[], numberId: string, perSecond: number): Promise<void> {
  await Promise.all(jobs.map((j) => s.queue.enqueueSend(j, { numberId, perSecond })));
}
