import { eq } from "drizzle-orm";
import { broadcasts, workspaces } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import type { BroadcastJob } from "../queue/port.js";
import { requiresOptIn } from "./audience.js";
import { dispatchBroadcastEvents, recordBroadcastEvent } from "./events.js";
import { PAGE_SIZE, publishJobs, writePage, type PageResult } from "./page.js";
import { requeueQueued } from "./requeue.js";
import { settleBroadcast } from "./settle.js";
import type { BroadcastRow } from "./schema.js";

/** One job writes pages for this long, then hands the rest to a job of its own (a Worker's callback is bounded). */
const RUN_BUDGET_MS = 20_000;

/**
 * The broadcast job, the same on both queues: starts a due broadcast, writes its
 * audience page by page from the cursor on its row (a killed run restarts there), and,
 * once the audience is written, watches its messages until none is left to send. Safe
 * to run twice at once or again after a crash: each page locks the row and moves the
 * cursor in the transaction that writes its messages.
 */
export async function runBroadcast(s: Services, job: BroadcastJob): Promise<void> {
  const { workspaceId, broadcastId } = job;
  const b = await start(s, workspaceId, broadcastId);
  if (!b) return;
  if (b.status === "scheduled") {
    // Delivered early (a clock apart, a sweep): again at its time.
    await s.queue.enqueueBroadcast(job, { notBefore: b.sendAt });
    return;
  }
  if (b.status !== "running" && b.status !== "paused") return;
  if (b.status === "running" && b.requeue) await requeueQueued(s, workspaceId, broadcastId);
  const needsOptIn = requiresOptIn(b.settings);
  const deadline = Date.now() + RUN_BUDGET_MS;
  if (!b.audienceDone && !(await writeAudience(s, workspaceId, broadcastId, b.audience, needsOptIn, deadline))) {
    await s.queue.enqueueBroadcast(job);
    return;
  }
  await settleBroadcast(s, job);
}

/**
 * Writes the audience page by page until it is done (true) or the deadline passes
 * (false: a job of its own goes on). Two pages overlap: once a page holds the row's lock
 * and has its contacts, the next reads its own from where they end while the first still
 * writes (lib/broadcasts/page.ts, PageAhead); the lock keeps their writes in order. Pages
 * are taken in the order they started. A page still in flight when the run stops (it
 * failed, or its jobs could not be published) may commit: its jobs are published on the
 * way out, or the stuck sweep queues them.
 */
async function writeAudience(s: Services, workspaceId: string, broadcastId: string, audience: BroadcastRow["audience"], needsOptIn: boolean, deadline: number): Promise<boolean> {
  const pages: Promise<PageResult>[] = [];
  let stopped = false;
  const start = (after?: string) => {
    let heard = false;
    const page = writePage(s, workspaceId, broadcastId, audience, needsOptIn, {
      after,
      onRead: (last, count) => {
        // A full page has one after it; a page retried carefully tells it again.
        if (stopped || heard || !last || count < PAGE_SIZE || Date.now() > deadline) return;
        heard = true;
        start(last);
      },
    });
    // Taken in turn below, or on the way out; never a rejection nobody observes.
    page.catch(() => undefined);
    pages.push(page);
  };
  start();
  let taken = 0;
  try {
    while (taken < pages.length) {
      const page = await pages[taken++]!;
      if (page.jobs.length) await publishJobs(s, page.jobs, page.numberId, page.perSecond);
      if (!page.moved && (!page.wrote || page.audienceDone)) return true;
      if (taken === pages.length) {
        if (Date.now() > deadline) return false;
        start();
      }
    }
    return true;
  } finally {
    stopped = true;
    for (const r of await Promise.allSettled(pages.slice(taken))) {
      if (r.status !== "fulfilled" || !r.value.jobs.length) continue;
      await publishJobs(s, r.value.jobs, r.value.numberId, r.value.perSecond).catch((err: unknown) =>
        s.logger.error("could not queue a broadcast page's sends; the stuck sweep queues them", { workspace_id: workspaceId, broadcast_id: broadcastId, error: err }),
      );
    }
  }
}

/**
 * scheduled → running once send_at has passed, with the started event. Answers the row
 * as it stands, with the workspace's settings. (The tier is taken page by page: tier.ts.)
 */
async function start(s: Services, workspaceId: string, broadcastId: string): Promise<(BroadcastRow & { settings: Record<string, unknown> }) | null> {
  const now = s.clock.now();
  const { row, recorded } = await withTenant(s.db, workspaceId, async (tx) => {
    const [b] = await tx.select().from(broadcasts).where(eq(broadcasts.id, broadcastId)).for("update");
    if (!b) return { row: null, recorded: 0 };
    const [w] = await tx.select({ settings: workspaces.settings }).from(workspaces).where(eq(workspaces.id, workspaceId));
    const settings = w?.settings ?? {};
    // A broadcast paused before its time starts paused: its rows are written, its sends wait for resume.
    const due = (b.status === "scheduled" || b.status === "paused") && !b.startedAt && b.sendAt.getTime() <= now.getTime();
    if (!due) return { row: { ...b, settings }, recorded: 0 };
    const [started] = await tx.update(broadcasts).set({ status: b.status === "paused" ? "paused" : "running", startedAt: now, updatedAt: now }).where(eq(broadcasts.id, broadcastId)).returning();
    const recorded = await recordBroadcastEvent(s, tx, workspaceId, "broadcast.started", now, { id: broadcastId, name: b.name, send_at: b.sendAt.toISOString() });
    return { row: { ...started!, settings }, recorded };
  });
  await dispatchBroadcastEvents(s, workspaceId, recorded);
  return row;
}
