import type { Tx } from "../../db/client.js";
import type { Services } from "../context.js";
import { dispatchRecorded, recordEvents } from "../webhooks/emit.js";

export type BroadcastEvent = "broadcast.started" | "broadcast.completed" | "broadcast.canceled";

/** Inside the transaction that changed the broadcast's status: durable with it. */
export const recordBroadcastEvent = (s: Services, tx: Tx, workspaceId: string, type: BroadcastEvent, at: Date, data: Record<string, unknown>) =>
  recordEvents(s, tx, workspaceId, [{ type, timestamp: at, data }]);

/** After the commit: hand what was recorded to the queue (the webhook sweep catches a miss). */
export async function dispatchBroadcastEvents(s: Services, workspaceId: string, recorded: number): Promise<void> {
  if (recorded) await dispatchRecorded(s, [workspaceId]).catch((err: unknown) => s.logger.error("event dispatch failed", { error: err }));
}
