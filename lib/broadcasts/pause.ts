import { sql } from "drizzle-orm";
import { withTenant } from "../../db/tenant.js";
import type { Actor } from "../contacts/create.js";
import type { Services } from "../context.js";
import { giveBackTier } from "./give-back.js";
import { setHalt } from "./halt.js";
import { auditTransition, lockFor } from "./transition.js";

/**
 * POST /v1/broadcasts/{id}/pause. From the commit on, no job claims the broadcast's
 * messages (the claim reads its status); the Redis flag, set before the answer, stops
 * the sends already claimed and waiting for their slot. The run keeps writing rows
 * (taking no tier room while paused), and the recipients not yet handed to Meta give
 * their room in the messaging tier back: resume takes it again.
 */
export async function pauseBroadcast(s: Services, workspaceId: string, id: string, actor: Actor) {
  const now = s.clock.now();
  await withTenant(s.db, workspaceId, async (tx) => {
    const l = await lockFor(tx, id, ["scheduled", "running"], "paused");
    if (!l.already) {
      await tx.execute(sql`update broadcasts set status = 'paused', updated_at = ${now.toISOString()} where id = ${id}`);
      await auditTransition(tx, workspaceId, actor, id, "broadcast.paused", l.status);
    }
  });
  await setHalt(s.redis, workspaceId, id, "paused");
  await giveBackTier(s, workspaceId, id, ["queued", "retrying"]);
  return { id, status: "paused" as const };
}
