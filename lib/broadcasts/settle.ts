import { sql } from "drizzle-orm";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import type { BroadcastJob } from "../queue/port.js";
import { broadcastCounts } from "./counts.js";
import { dispatchBroadcastEvents, recordBroadcastEvent } from "./events.js";

/**
 * How soon the run looks again while messages are on their way; slower when only tier
 * waits are left, still well inside the sweep's stall time (it would start a second watch).
 */
const WATCH_S = 2;
const WATCH_TIER_S = 60;
export const watchKey = (workspaceId: string, broadcastId: string) => `{w:${workspaceId}}:broadcast:${broadcastId}:watch`;

/**
 * Once the audience is written: a running broadcast with no message left to send
 * (queued, sending, retrying) is completed, with its counts in broadcast.completed;
 * otherwise the job looks again shortly. A paused broadcast is left to resume.
 */
export async function settleBroadcast(s: Services, job: BroadcastJob): Promise<void> {
  const now = s.clock.now();
  const r = await withTenant(s.db, job.workspaceId, async (tx) => {
    // Whether any is left, and whether any left is not waiting for the tier: each stops at
    // the first row it finds. Counting them read every message of a 100,000 broadcast every
    // 2 s (150 ms of PostgreSQL's time each, while it sends).
    const [b] = await tx.execute<{ status: string; audience_done: boolean; left: boolean; sending: boolean; name: string }>(sql`
      select status, audience_done, name,
        exists (select 1 from messages where broadcast_id = b.id and status in ('queued', 'sending', 'retrying')) as left,
        exists (select 1 from messages where broadcast_id = b.id and status in ('queued', 'sending', 'retrying')
          and not (status = 'queued' and coalesce(not_before > ${now.toISOString()}, false))) as sending
      from broadcasts b where id = ${job.broadcastId} for update`);
    if (!b || b.status !== "running" || !b.audience_done) return { again: false, recorded: 0 };
    if (b.left) return { again: true, tierOnly: !b.sending, recorded: 0 };
    await tx.execute(sql`update broadcasts set status = 'completed', finished_at = ${now.toISOString()}, updated_at = ${now.toISOString()} where id = ${job.broadcastId}`);
    const counts = await broadcastCounts(tx, job.broadcastId);
    const recorded = await recordBroadcastEvent(s, tx, job.workspaceId, "broadcast.completed", now, { id: job.broadcastId, name: b.name, counts });
    return { again: false, recorded };
  });
  await dispatchBroadcastEvents(s, job.workspaceId, r.recorded);
  if (!r.again) return;
  const delayS = "tierOnly" in r && r.tierOnly ? WATCH_TIER_S : WATCH_S;
  // One watch per broadcast: a second run (resume, the sweep, a duplicated job) that finds
  // one going ends here instead of starting a chain of its own. A lost watch job lets its
  // token expire, and the sweep starts a new one. A watch delivered so late that its token
  // expired (a loaded machine) takes it again if no other watch has: one chain still.
  const key = watchKey(job.workspaceId, job.broadcastId);
  const token = job.watch ?? crypto.randomUUID();
  const claim = () => s.redis.set(key, token, { nx: true, ex: delayS + 30 });
  const held = job.watch ? await s.redis.get(key) : null;
  const mine = job.watch ? (held === job.watch ? await s.redis.expire(key, delayS + 30) : held === null && (await claim())) : await claim();
  if (!mine) return;
  // Progress is visible on the row: the sweep leaves a broadcast alone while it is watched.
  await withTenant(s.db, job.workspaceId, (tx) => tx.execute(sql`update broadcasts set updated_at = ${now.toISOString()} where id = ${job.broadcastId}`));
  await s.queue.enqueueBroadcast({ ...job, watch: token }, { notBefore: new Date(now.getTime() + delayS * 1000) });
}
