import { sql } from "drizzle-orm";
import { withTenant } from "../../db/tenant.js";
import type { Actor } from "../contacts/create.js";
import type { Services } from "../context.js";
import { dispatchBroadcastEvents, recordBroadcastEvent } from "./events.js";
import { giveBackTier } from "./give-back.js";
import { setHalt } from "./halt.js";
import { auditTransition, lockFor } from "./transition.js";

/**
 * POST /v1/broadcasts/{id}/cancel. Final: the run stops writing, no job claims its
 * messages, the flag stops the sends already claimed, and every message not yet sent
 * ends `canceled`, its room in the messaging tier given back. The flag goes up first,
 * so a send finishing meanwhile cannot slip between the status and the rows.
 */
export async function cancelBroadcast(s: Services, workspaceId: string, id: string, actor: Actor) {
  const now = s.clock.now();
  await setHalt(s.redis, workspaceId, id, "canceled");
  const recorded = await withTenant(s.db, workspaceId, async (tx) => {
    const l = await lockFor(tx, id, ["scheduled", "running", "paused"], "canceled");
    if (l.already) return 0;
    await tx.execute(sql`update broadcasts set status = 'canceled', finished_at = ${now.toISOString()}, updated_at = ${now.toISOString()} where id = ${id}`);
    const [c] = await tx.execute<{ n: number }>(sql`
      with c as (update messages set status = 'canceled', claimed_until = null, updated_at = ${now.toISOString()}
        where broadcast_id = ${id} and status in ('queued', 'retrying') returning 1)
      select count(*)::int as n from c`);
    await auditTransition(tx, workspaceId, actor, id, "broadcast.canceled", l.status);
    return recordBroadcastEvent(s, tx, workspaceId, "broadcast.canceled", now, { id, name: l.b.name, canceled_messages: c?.n ?? 0 });
  });
  await dispatchBroadcastEvents(s, workspaceId, recorded);
  await giveBackTier(s, workspaceId, id, ["canceled"]);
  return { id, status: "canceled" as const };
}
