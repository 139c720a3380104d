import type { RedisPort } from "../redis/port.js";

/**
 * Pause and cancel reach a send that was claimed before them: the send job reads this
 * flag after its pacing wait, right before it posts, so no message of a paused or
 * canceled broadcast is handed to Meta once the request has answered. The claim itself
 * checks the broadcast's row, so the flag only has to cover the sends in flight.
 */
export const haltKey = (workspaceId: string, broadcastId: string) => `{w:${workspaceId}}:broadcast:${broadcastId}:halt`;
const HALT_TTL_S = 7 * 24 * 3600;

export type Halt = "paused" | "canceled";

export const setHalt = (r: RedisPort, workspaceId: string, broadcastId: string, halt: Halt) => r.set(haltKey(workspaceId, broadcastId), halt, { ex: HALT_TTL_S });
export const clearHalt = (r: RedisPort, workspaceId: string, broadcastId: string) => r.del(haltKey(workspaceId, broadcastId));
export async function readHalt(r: RedisPort, workspaceId: string, broadcastId: string): Promise<Halt | null> {
  const v = await r.get(haltKey(workspaceId, broadcastId));
  return v === "paused" || v === "canceled" ? v : null;
}
