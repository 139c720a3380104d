import { eq, sql } from "drizzle-orm";
import { whatsappNumbers } from "../../db/schema/index.js";
import { asApp, withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";

export const STUCK_AFTER_S = 120;

/**
 * Re-enqueues messages left `queued` with no job (a crash between commit and enqueue).
 * Safe to run anywhere, any time: both queues drop a second job for the same message.
 * Runs from the Worker's cron and on an interval in the Node process.
 */
export async function requeueStuckMessages(s: Services, olderThanS = STUCK_AFTER_S): Promise<number> {
  const stuck = await asApp(s.db, (tx) =>
    tx.execute<{ message_id: string; workspace_id: string; whatsapp_number_id: string }>(sql`select * from sandesh_stuck_messages(${olderThanS}, 500)`),
  );
  for (const m of stuck) {
    const [n] = await withTenant(s.db, m.workspace_id, (tx) => tx.select({ mps: whatsappNumbers.throughputMps }).from(whatsappNumbers).where(eq(whatsappNumbers.id, m.whatsapp_number_id)));
    await s.queue.enqueueSend({ messageId: m.message_id, workspaceId: m.workspace_id }, { numberId: m.whatsapp_number_id, perSecond: n?.mps ?? 80 });
  }
  if (stuck.length) s.logger.warn("re-enqueued stuck messages", { count: stuck.length });
  return stuck.length;
}
