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
 * (false: a job of its own goes on). Two pages overlap: as soon as a page's contacts are
 * read, the next page reads its own from where they end, while the first still writes
 * (lib/broadcasts/page.ts, PageAhead); the lock on the row keeps their writes in order.
 */
async function writeAudience(s: Services, workspaceId: string, broadcastId: string, audience: BroadcastRow["audience"], needsOptIn: boolean, deadline: number): Promise<boolean> {
  let next: Promise<PageResult> | undefined;
  let stopped = false;
  const start = (after?: string): Promise<PageResult> => {
    let heard = false;
    const page = writePage(s, workspaceId, broadcastId, audience, needsOptIn, {
      ...(after ? { after } : {}),
      onRead: (last, count) => {
        // A full page has one after it; the first word of a page is the one that counts.
        if (stopped || heard || !last || count < PAGE_SIZE || Date.now() > deadline) return;
        heard = true;
        next = start(last);
      },
    });
    // Awaited in turn below; a page ahead of a failed one must not fail unobserved.
    page.catch(() => undefined);
    return page;
  };
  let current: Promise<PageResult> | undefined = start();
  try {
    while (current) {
      const page = await current;
      current = next;
      next = undefined;
      if (page.jobs.length) await publishJobs(s, page.jobs, page.numberId, page.perSecond);
      if (!page.wrote || page.audienceDone) return true;
      if (!current) {
        if (Date.now() > deadline) return false;
        current = start();
      }
    }
    return true;
  } finally {
    // A page ahead, when this one failed or the run stopped: let it settle before the job ends.
    stopped = true;
    await Promise.allSettled([current, next]);
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
