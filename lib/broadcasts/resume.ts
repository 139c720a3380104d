import { sql } from "drizzle-orm";
import { withTenant } from "../../db/tenant.js";
import type { Actor } from "../contacts/create.js";
import type { Services } from "../context.js";
import { clearHalt } from "./halt.js";
import { watchKey } from "./settle.js";
import { auditTransition, lockFor } from "./transition.js";

/**
 * POST /v1/broadcasts/{id}/resume. Running again (or scheduled again, when it was
 * paused before its time); the run hands its queued messages to the queue once more
 * (`requeue`) and carries on with the audience where it is.
 */
export async function resumeBroadcast(s: Services, workspaceId: string, id: string, actor: Actor) {
  const now = s.clock.now();
  const { status, sendAt } = await withTenant(s.db, workspaceId, async (tx) => {
    const l = await lockFor(tx, id, ["paused"], "running");
    if (l.already) return { status: "running" as const, sendAt: l.b.sendAt };
    const next = l.b.startedAt ? ("running" as const) : ("scheduled" as const);
    await tx.execute(sql`update broadcasts set status = ${next}, requeue = true, resumes = resumes + 1, updated_at = ${now.toISOString()} where id = ${id}`);
    await auditTransition(tx, workspaceId, actor, id, "broadcast.resumed", l.status);
    return { status: next, sendAt: l.b.sendAt };
  });
  // The watch that ended at the pause may not have let go of its token yet: this run starts the next one.
  await Promise.all([clearHalt(s.redis, workspaceId, id), s.redis.del(watchKey(workspaceId, id))]);
  // Its run goes on at once (a run that died while paused is restarted here); one not yet due waits for its trigger.
  if (status === "running" || sendAt.getTime() <= now.getTime()) await s.queue.enqueueBroadcast({ broadcastId: id, workspaceId });
  return { id, status };
}
