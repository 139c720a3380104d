import type { Tx } from "../../db/client.js";
import type { Services } from "../context.js";

/**
 * The events Sandesh forwards to a workspace's own webhook endpoints.
 * Contract used by the Meta ingest and the send job:
 *   - `recordEvents` runs inside the caller's tenant transaction (durable with it);
 *   - `dispatchRecorded` runs after commit and hands delivery to the queue.
 */
export type EventType =
  | "message.sent"
  | "message.delivered"
  | "message.read"
  | "message.failed"
  | "message.received"
  | "contact.opted_out"
  | "contact.opted_in";

export interface OutgoingEvent {
  type: EventType;
  /** When it happened (Meta's timestamp where there is one). */
  timestamp: Date;
  data: Record<string, unknown>;
}

/** Returns how many events were recorded (0 when the workspace has no endpoint for them). */
export async function recordEvents(_s: Services, _tx: Tx, _workspaceId: string, _events: OutgoingEvent[]): Promise<number> {
  return 0;
}

export async function dispatchRecorded(_s: Services, _workspaceIds: string[]): Promise<void> {}
